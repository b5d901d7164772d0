"""The project-level objects beside the workloads: Secrets and ConfigMaps from the
project's secrets and configs, a Service per service with ports, and the NetworkPolicies
that reproduce the compose networks' segmentation.

Compose lets two containers talk when they share a network. Each pod carries a label per
network it is on (``network.pallet.io/NAME: "true"``) and each network a policy selecting
those pods and admitting ingress only from pods with the same label; policies add up, so a
pod on two networks hears both, and a pod on neither of a pod's networks is refused. A
service that publishes ports also gets a policy admitting anyone on those ports (what
publishing means), as the network policies would otherwise keep the outside away.
"""

from __future__ import annotations

from pallet.compose.model import Project, Service
from pallet.kube.convert import (
    NAME_LABEL,
    NETWORK_LABEL,
    Options,
    b64,
    meta,
    networks_of,
)
from pallet.kube.podspec import Obj
from pallet.kube.quantities import dns_name


def file_objects(project: Project, files: dict[str, bytes], opts: Options,
                 warn: list[str]) -> list[Obj]:
    """A Secret per used secret (unless external or ``external_secrets``), a ConfigMap per
    used config; the data key is the compose key, which the mounts' ``subPath`` names."""
    used_secrets = {r.source for s in project.services.values() for r in s.secrets or []}
    used_configs = {r.source for s in project.services.values() for r in s.configs or []}
    out: list[Obj] = []
    for key, obj in sorted((project.secrets or {}).items()):
        if key not in used_secrets or obj.external or opts.external_secrets:
            continue
        if key not in files:
            warn.append(f"secret {key}: no content to put in the Secret; create it yourself "
                        f"(kubectl create secret generic {dns_name(key)} ...)")
            continue
        out.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                    "metadata": meta(dns_name(key), project),
                    "data": {key: b64(files[key])}})
    for key, obj in sorted((project.configs or {}).items()):
        if key not in used_configs or obj.external:
            continue
        if key not in files:
            warn.append(f"config {key}: no content to put in the ConfigMap; dropped")
            continue
        data = files[key]
        try:
            body: Obj = {"data": {key: data.decode()}}
        except UnicodeDecodeError:
            body = {"binaryData": {key: b64(data)}}
        out.append({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": meta(dns_name(key), project), **body})
    return out


def service_object(svc: Service, project: Project, found: list[tuple[int, str]],
                   opts: Options, warn: list[str]) -> Obj | None:
    """The Service that gives the pods the compose service's name on the network; of
    ``opts.service_type`` when the service publishes ports, else ClusterIP. A published
    port keeps its container port inside the cluster; a LoadBalancer also listens on the
    published number, a NodePort takes it as its node port when in the node-port range."""
    if not found:
        return None
    name = dns_name(svc.name)
    published = {(p.target, p.protocol): p.published for p in svc.ports or []}
    kind = opts.service_type if published else "ClusterIP"
    entries: list[Obj] = []
    for port, proto in found:
        entry: Obj = {"name": f"{proto}-{port}", "port": port, "targetPort": port,
                      "protocol": proto.upper()}
        entries.append(entry)
        if (port, proto) not in published:
            continue
        host = published[(port, proto)] or ""
        if kind == "NodePort" and host.isdigit() and 30000 <= int(host) <= 32767:
            entry["nodePort"] = int(host)
        elif kind == "NodePort" and host:
            warn.append(f"service {svc.name}: ports: {host}:{port} is outside the node-port "
                        "range (30000-32767); the cluster picks the node port")
        elif kind == "LoadBalancer" and host.isdigit() and int(host) != port:
            entries.append({"name": f"pub-{host}-{proto}", "port": int(host),
                            "targetPort": port, "protocol": proto.upper()})
        elif kind == "ClusterIP":
            warn.append(f"service {svc.name}: ports: {host or '(any)'}:{port} is published on "
                        "the host; a ClusterIP Service is reachable inside the cluster only "
                        "(--service-type NodePort or LoadBalancer)")
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(name, project),
            "spec": {"type": kind, "selector": {NAME_LABEL: name}, "ports": entries}}


def network_policies(project: Project) -> list[Obj]:
    """One policy per network in use, and one per service that publishes ports."""
    used = sorted({n for s in project.services.values() for n in networks_of(s)
                   if s.network_mode is None})
    out: list[Obj] = []
    for net in used:
        label = {f"{NETWORK_LABEL}{dns_name(net)}": "true"}
        out.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": meta(f"network-{dns_name(net)}"[:63], project),
                    "spec": {"podSelector": {"matchLabels": label},
                             "policyTypes": ["Ingress"],
                             "ingress": [{"from": [{"podSelector": {"matchLabels": label}}]}]}})
    for name in sorted(project.services):
        svc = project.services[name]
        published = sorted({(p.target, p.protocol) for p in svc.ports or []})
        if not published:
            continue
        out.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": meta(f"published-{dns_name(name)}"[:63], project),
                    "spec": {"podSelector": {"matchLabels": {NAME_LABEL: dns_name(name)}},
                             "policyTypes": ["Ingress"],
                             "ingress": [{"ports": [{"port": p, "protocol": proto.upper()}
                                                    for p, proto in published]}]}})
    return out
