"""A compose project as Kubernetes objects: the converter, pure (no engine, no files).

Each service becomes a Deployment (``replicas`` from scale/``deploy.replicas``), or with
``stateful`` a StatefulSet whose named volumes are ``volumeClaimTemplates`` when it runs one
replica; a Service holding its published, exposed and image ports (published ones of the
chosen type, ClusterIP by default); the project's named volumes PersistentVolumeClaims,
its secrets Secrets (or references to existing ones) and its configs ConfigMaps; each
network a NetworkPolicy admitting only the pods that share it (and one per service that
publishes ports, admitting anyone on those ports). A ``service_healthy`` dependency is an
initContainer that waits until the dependency's Service answers (its endpoints hold ready
pods only, and readiness is the healthcheck). The content of secrets and configs and the
images' facts come in as arguments; see :mod:`pallet.kube.gather`.
"""

from __future__ import annotations

import base64

import msgspec

from pallet.compose.model import Project, Service
from pallet.kube.podspec import ImageFacts, Obj, ports
from pallet.kube.quantities import dns_name
from pallet.kube.unhandled import unhandled_keys

MANAGED = {"app.kubernetes.io/managed-by": "pallet"}
NAME_LABEL = "app.kubernetes.io/name"
NETWORK_LABEL = "network.pallet.io/"
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")


class Options(msgspec.Struct, frozen=True, kw_only=True):
    service_type: str = "ClusterIP"  # for services that publish ports
    stateful: bool = False
    external_secrets: bool = False
    registry: str = ""
    volume_size: str = "1Gi"
    init_image: str = "busybox"


class Inputs(msgspec.Struct, frozen=True, kw_only=True):
    """What the converter reads besides the project: images' facts by image name, the
    content of each secret and config by its top-level key."""

    images: dict[str, ImageFacts] = {}
    files: dict[str, bytes] = {}


class Result(msgspec.Struct):
    objects: list[Obj]
    warnings: list[str]


def image_name(svc: Service, project: Project, registry: str) -> str:
    """The service's image (Compose v2's ``PROJECT-SERVICE`` for a build without one),
    moved to ``registry`` when given (its own registry host replaced)."""
    name = svc.image or f"{project.name}-{svc.name}"
    if not registry:
        return name
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        name = rest
    return f"{registry.rstrip('/')}/{name}"


def meta(name: str, project: Project, **labels: str) -> Obj:
    return {"name": name, "labels": {**MANAGED, "app.kubernetes.io/part-of":
                                     dns_name(project.name), **labels}}


def networks_of(svc: Service) -> list[str]:
    return sorted(svc.networks) if svc.networks else ["default"]


def convert(project: Project, inputs: Inputs, opts: Options) -> Result:
    """Every object of the project, in apply order, and the warnings."""
    from pallet.kube.podspec import pod_parts
    from pallet.kube.resources import file_objects, network_policies, service_object

    warnings: list[str] = list(unhandled_keys(project))
    objects: list[Obj] = []
    objects += file_objects(project, inputs.files, opts, warnings)
    objects += [env_map(project.services[n], project) for n in project.service_names()
                if any(v is not None for v in (project.services[n].environment or {}).values())]
    workloads: list[Obj] = []
    services: list[Obj] = []
    claims_used: set[str] = set()
    for name in project.service_names():
        svc = project.services[name]
        image = image_name(svc, project, opts.registry)
        facts = inputs.images.get(svc.image or "", ImageFacts())
        parts = pod_parts(svc, project, facts, image)
        warnings += parts.warnings
        workload = _workload(svc, project, parts.container, parts.volumes, parts.claims,
                             opts, inputs, warnings)
        if workload["kind"] == "Deployment":
            claims_used.update(parts.claims)
        workloads.append(workload)
        svc_obj = service_object(svc, project, ports(svc, facts), opts, warnings)
        if svc_obj is not None:
            services.append(svc_obj)
    objects += _claims(project, claims_used, opts)
    objects += services
    objects += workloads
    objects += network_policies(project)
    return Result(objects, warnings)


def env_map(svc: Service, project: Project) -> Obj:
    """The service's environment as a ConfigMap its container takes with ``envFrom``."""
    from pallet.kube.podspec import env_map_name

    data = {k: v for k, v in sorted((svc.environment or {}).items()) if v is not None}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(env_map_name(svc.name),
                                                                      project),
            "data": data}


def _claims(project: Project, used: set[str], opts: Options) -> list[Obj]:
    out: list[Obj] = []
    for key, vol in sorted((project.volumes or {}).items()):
        claim = dns_name(key)
        if claim not in used or vol.external:
            continue
        out.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": meta(claim, project),
                    "spec": {"accessModes": ["ReadWriteOnce"],
                             "resources": {"requests": {"storage": opts.volume_size}}}})
    return out


def _init_containers(svc: Service, project: Project, inputs: Inputs, opts: Options,
                     warn: list[str]) -> list[Obj]:
    out: list[Obj] = []
    for dep, d in sorted((svc.depends_on or {}).items()):
        other = project.services.get(dep)
        if d.condition == "service_healthy" and other is not None:
            found = ports(other, inputs.images.get(other.image or "", ImageFacts()))
            if not found:
                warn.append(f"service {svc.name}: depends_on: {dep} (service_healthy) has no "
                            "port to wait on; the pods start together")
                continue
            host, port = dns_name(dep), found[0][0]
            out.append({"name": f"wait-{host}"[:63], "image": opts.init_image,
                        "command": ["sh", "-c", f"until nc -w 2 {host} {port} </dev/null; "
                                    f"do echo waiting for {host}; sleep 1; done"]})
        else:
            warn.append(f"service {svc.name}: depends_on: {dep} ({d.condition}) has no "
                        "Kubernetes ordering; the pods start together")
    return out


def _workload(svc: Service, project: Project, container: Obj, volumes: list[Obj],
              claims: list[str], opts: Options, inputs: Inputs, warn: list[str]) -> Obj:
    name = dns_name(svc.name)
    replicas = svc.replicas()
    labels = {NAME_LABEL: name, **{f"{NETWORK_LABEL}{dns_name(n)}": "true"
                                   for n in networks_of(svc)}}
    pod: Obj = {"containers": [container]}
    init = _init_containers(svc, project, inputs, opts, warn)
    if init:
        pod["initContainers"] = init
    if svc.hostname:
        pod["hostname"] = svc.hostname
    if svc.stop_grace_period is not None:
        pod["terminationGracePeriodSeconds"] = svc.stop_grace_period // 1_000_000_000
    if svc.restart in ("no", "on-failure") or (svc.restart and svc.restart.startswith(
            "on-failure")):
        warn.append(f"service {svc.name}: restart: {svc.restart} has no form in a "
                    "Deployment (its pods always restart)")
    stateful = opts.stateful and bool(claims) and replicas == 1
    spec: Obj = {"replicas": replicas, "selector": {"matchLabels": {NAME_LABEL: name}}}
    if stateful:
        templates = []
        for claim in claims:
            volumes = [v for v in volumes if v.get("persistentVolumeClaim", {}).get(
                "claimName") != claim]
            for m in container.get("volumeMounts", []):
                if m["name"] == f"vol-{claim}"[:63]:
                    m["name"] = claim
            templates.append({"metadata": {"name": claim}, "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": opts.volume_size}}}})
        spec["serviceName"] = name
        spec["volumeClaimTemplates"] = templates
    elif claims and replicas > 1:
        warn.append(f"service {svc.name}: {replicas} replicas share the ReadWriteOnce "
                    f"claim(s) {', '.join(claims)}; they must land on one node")
    elif claims:  # a ReadWriteOnce claim cannot be held by the old and the new pod at once
        spec["strategy"] = {"type": "Recreate"}
    if volumes:
        pod["volumes"] = volumes
    template: Obj = {"labels": labels}
    if svc.labels:  # compose labels are free-form: annotations hold any value
        template["annotations"] = dict(sorted(svc.labels.items()))
    spec["template"] = {"metadata": template, "spec": pod}
    return {"apiVersion": "apps/v1", "kind": "StatefulSet" if stateful else "Deployment",
            "metadata": meta(name, project, **{NAME_LABEL: name}), "spec": spec}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
