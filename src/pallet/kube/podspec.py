"""One compose service as a Kubernetes pod template: its container (image, command,
environment, ports, probes, resources, securityContext, mounts) and the pod's volumes.

Probes come from the service's healthcheck, else the image's ``HEALTHCHECK``: the same exec
command as readiness and liveness probe (``interval``, ``timeout``, ``retries`` as
``periodSeconds``, ``timeoutSeconds``, ``failureThreshold``), and a ``startupProbe`` that
allows the ``start_period`` before liveness counts. Named volumes become claims, tmpfs an
``emptyDir`` in memory with its size limit, secrets and configs files from a Secret or a
ConfigMap mounted with ``subPath`` at their compose target. What has no faithful form
(host binds, devices, host namespaces...) is named in the warnings, never dropped silently.
"""

from __future__ import annotations

from typing import Any

import msgspec

from pallet.compose.model import FileReference, Healthcheck, Mount, Project, Service
from pallet.kube.quantities import cpu, dns_name, memory, seconds

Obj = dict[str, Any]  # one Kubernetes object or part of one: the document the schema checks


PULL_POLICIES = {"always": "Always", "never": "Never", "missing": "IfNotPresent",
                 "if_not_present": "IfNotPresent"}


class ImageFacts(msgspec.Struct, frozen=True):
    """What the service's image adds (from ``docker image inspect``): its ``EXPOSE``
    ports as ``(port, protocol)`` and its ``HEALTHCHECK``."""

    exposed: tuple[tuple[int, str], ...] = ()
    healthcheck: Healthcheck | None = None


class PodParts(msgspec.Struct):
    """A service's pod template pieces and what could not be carried over."""

    container: Obj
    volumes: list[Obj]
    claims: list[str]  # named volumes the pod mounts (claim names)
    warnings: list[str]


def probe_command(test: list[str]) -> list[str] | None:
    """A healthcheck ``test`` as an exec command; None for ``NONE``/empty."""
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD":
        return test[1:]
    if test[0] == "CMD-SHELL":
        return ["/bin/sh", "-c", " ".join(test[1:])]
    return ["/bin/sh", "-c", " ".join(test)]


def probes(hc: Healthcheck) -> Obj:
    """readinessProbe, livenessProbe and (with a start period) startupProbe."""
    command = probe_command(hc.test or [])
    if hc.disable or command is None:
        return {}
    period = seconds(hc.interval, 30)
    base: Obj = {"exec": {"command": command}, "periodSeconds": period,
                 "timeoutSeconds": seconds(hc.timeout, 30),
                 "failureThreshold": hc.retries if hc.retries else 3}
    out: Obj = {"readinessProbe": dict(base), "livenessProbe": dict(base)}
    if hc.start_period:
        every = seconds(hc.start_interval, period) if hc.start_interval else period
        budget = -(-seconds(hc.start_period, 0) // every)
        out["startupProbe"] = {**base, "periodSeconds": every,
                               "failureThreshold": budget + base["failureThreshold"]}
    return out


def resources(svc: Service) -> Obj:
    """limits from ``deploy.resources.limits`` (or ``mem_limit``/``cpus``), requests from
    reservations (or ``mem_reservation``)."""
    res = svc.deploy.resources if svc.deploy and svc.deploy.resources else None
    lim = res.limits if res else None
    rsv = res.reservations if res else None
    limits: Obj = {}
    requests: Obj = {}
    if (lim and lim.cpus) or svc.cpus:
        limits["cpu"] = cpu((lim.cpus if lim and lim.cpus else svc.cpus) or 0.0)
    if (lim and lim.memory) or svc.mem_limit:
        limits["memory"] = memory((lim.memory if lim and lim.memory else svc.mem_limit) or 0)
    if rsv and rsv.cpus:
        requests["cpu"] = cpu(rsv.cpus)
    if (rsv and rsv.memory) or svc.mem_reservation:
        requests["memory"] = memory((rsv.memory if rsv and rsv.memory else
                                     svc.mem_reservation) or 0)
    out: Obj = {}
    if limits:
        out["limits"] = limits
    if requests:
        out["requests"] = requests
    return out


def security_context(svc: Service, warn: list[str]) -> Obj:
    """The container's securityContext from user, read_only, capabilities, security_opt
    and privileged; Docker's default seccomp profile is ``RuntimeDefault``."""
    ctx: Obj = {}
    if svc.user:
        uid, _, gid = svc.user.partition(":")
        if uid.isdigit() and (not gid or gid.isdigit()):
            ctx["runAsUser"] = int(uid)
            if gid:
                ctx["runAsGroup"] = int(gid)
            if int(uid) != 0:
                ctx["runAsNonRoot"] = True
        else:
            warn.append(f"service {svc.name}: user: {svc.user!r} is a name; Kubernetes "
                        "takes numeric ids only (runAsUser), left to the image")
    if svc.read_only:
        ctx["readOnlyRootFilesystem"] = True
    caps: Obj = {}
    if svc.cap_add:
        caps["add"] = sorted({c.upper().removeprefix("CAP_") for c in svc.cap_add})
    if svc.cap_drop:
        caps["drop"] = sorted({c.upper().removeprefix("CAP_") for c in svc.cap_drop})
    if caps:
        ctx["capabilities"] = caps
    seccomp = "RuntimeDefault"
    for opt in svc.security_opt or []:
        key, _, value = opt.replace("=", ":", 1).partition(":")
        if key == "no-new-privileges" and value in ("", "true"):
            ctx["allowPrivilegeEscalation"] = False
        elif key == "seccomp" and value == "unconfined":
            seccomp = "Unconfined"
        elif key == "seccomp":
            seccomp = "Localhost"
            ctx["seccompProfile"] = {"type": "Localhost", "localhostProfile": value}
        else:
            warn.append(f"service {svc.name}: security_opt: {opt!r} has no Kubernetes "
                        "form here; dropped")
    if svc.privileged:
        ctx["privileged"] = True
        ctx.pop("allowPrivilegeEscalation", None)
        seccomp = "Unconfined"
    if seccomp != "Localhost":
        ctx["seccompProfile"] = {"type": seccomp}
    return ctx


def _file_mount(svc: Service, kind: str, ref: FileReference,
                warn: list[str]) -> tuple[Obj, Obj]:
    """A secret's or config's volume and mount (``subPath`` at the compose target)."""
    name = dns_name(ref.source)
    if kind == "secret":
        target = ref.target or ref.source
        target = target if target.startswith("/") else f"/run/secrets/{target}"
        src: Obj = {"secret": {"secretName": name}}
        key = "secret"
    else:
        target = ref.target or f"/{ref.source}"
        src = {"configMap": {"name": name}}
        key = "configMap"
    if ref.uid is not None or ref.gid is not None:
        warn.append(f"service {svc.name}: {kind}s: {ref.source} uid/gid have no per-file form "
                    "in Kubernetes (the pod's fsGroup sets a group for all); dropped")
    item: Obj = {"key": ref.source, "path": ref.source}
    if ref.mode is not None:
        item["mode"] = ref.mode
    src[key]["items"] = [item]
    volume = {"name": f"{kind}-{name}"[:63], **src}
    return volume, {"name": volume["name"], "mountPath": target, "subPath": ref.source,
                    "readOnly": True}


def _tmpfs(svc: Service, index: int, target: str, size: int | None) -> tuple[Obj, Obj]:
    empty: Obj = {"medium": "Memory"}
    if size:
        empty["sizeLimit"] = memory(size)
    name = f"tmpfs-{index}"
    return {"name": name, "emptyDir": empty}, {"name": name, "mountPath": target}


def _tmpfs_size(options: str) -> int | None:
    from pallet.notation.sizes import parse_memory

    for opt in options.split(","):
        if opt.startswith("size="):
            return parse_memory(opt[5:])
    return None


def mounts(svc: Service, project: Project, warn: list[str]) -> tuple[list[Obj], list[Obj],
                                                                     list[str]]:
    """The pod's volumes, the container's volumeMounts and the claims used."""
    volumes: list[Obj] = []
    mounted: list[Obj] = []
    claims: list[str] = []
    tmpfs_specs = [(t.partition(":")[0], _tmpfs_size(t.partition(":")[2]))
                   for t in svc.tmpfs or []]
    for m in svc.volumes or []:
        if m.type == "tmpfs":
            tmpfs_specs.append((m.target, m.tmpfs.size if m.tmpfs else None))
        else:
            _volume_mount(svc, m, project, warn, volumes, mounted, claims)
    for i, (target, size) in enumerate(tmpfs_specs):
        vol, mnt = _tmpfs(svc, i, target, size)
        volumes.append(vol)
        mounted.append(mnt)
    for kind, refs in (("secret", svc.secrets), ("config", svc.configs)):
        for ref in refs or []:
            vol, mnt = _file_mount(svc, kind, ref, warn)
            volumes.append(vol)
            mounted.append(mnt)
    return volumes, mounted, claims


def _volume_mount(svc: Service, m: Mount, project: Project, warn: list[str],
                  volumes: list[Obj], mounted: list[Obj], claims: list[str]) -> None:
    if m.type == "volume" and m.source:
        claim = dns_name(m.source)
        name = f"vol-{claim}"[:63]
        if claim not in claims:
            claims.append(claim)
            volumes.append({"name": name, "persistentVolumeClaim": {"claimName": claim}})
        mnt: Obj = {"name": name, "mountPath": m.target}
        if m.read_only:
            mnt["readOnly"] = True
        if m.volume and m.volume.subpath:
            mnt["subPath"] = m.volume.subpath
        mounted.append(mnt)
    elif m.type == "volume":
        name = f"anon-{len(volumes)}"
        volumes.append({"name": name, "emptyDir": {}})
        mounted.append({"name": name, "mountPath": m.target})
    else:
        warn.append(f"service {svc.name}: volumes: {m.type} mount {m.source or ''}:"
                    f"{m.target} is a host path with no faithful Kubernetes form; dropped")


def env_map_name(service: str) -> str:
    """The ConfigMap holding a service's environment (compose's env_file and environment)."""
    return f"{dns_name(service)[:59]}-env"


def ports(svc: Service, facts: ImageFacts) -> list[tuple[int, str]]:
    """The container's ports: published targets, ``expose`` and the image's ``EXPOSE``."""
    found: list[tuple[int, str]] = []
    for p in svc.ports or []:
        found.append((p.target, p.protocol))
    for e in svc.expose or []:
        port, _, proto = e.partition("/")
        first = port.partition("-")[0]
        if first.isdigit():
            found.append((int(first), proto or "tcp"))
    found.extend(facts.exposed)
    return sorted(set(found))


def pod_parts(svc: Service, project: Project, facts: ImageFacts, image: str) -> PodParts:
    """The service's main container and its pod's volumes."""
    warn: list[str] = []
    container: Obj = {"name": dns_name(svc.name), "image": image}
    if svc.entrypoint is not None:
        container["command"] = list(svc.entrypoint)
    if svc.command is not None:
        container["args"] = list(svc.command)
    if svc.working_dir:
        container["workingDir"] = svc.working_dir
    env = {k: v for k, v in (svc.environment or {}).items() if v is not None}
    if env:  # a ConfigMap the converter makes holds the values
        container["envFrom"] = [{"configMapRef": {"name": env_map_name(svc.name)}}]
    exposed = ports(svc, facts)
    if exposed:
        container["ports"] = [{"containerPort": p, "protocol": proto.upper()}
                              for p, proto in exposed]
    hc = svc.healthcheck if svc.healthcheck is not None else facts.healthcheck
    if hc is not None and svc.healthcheck is not None and facts.healthcheck is not None:
        hc = msgspec.structs.replace(facts.healthcheck, **{
            f: getattr(hc, f) for f in hc.__struct_fields__ if getattr(hc, f) is not None})
    container.update(probes(hc) if hc else {})
    res = resources(svc)
    if res:
        container["resources"] = res
    ctx = security_context(svc, warn)
    if ctx:
        container["securityContext"] = ctx
    policy = PULL_POLICIES.get(svc.pull_policy or "")
    if policy:
        container["imagePullPolicy"] = policy
    elif svc.pull_policy:
        warn.append(f"service {svc.name}: pull_policy: {svc.pull_policy} has no Kubernetes "
                    "form (build the image and push it: pallet kube push)")
    if svc.stdin_open:
        container["stdin"] = True
    if svc.tty:
        container["tty"] = True
    volumes, mounted, claims = mounts(svc, project, warn)
    if mounted:
        container["volumeMounts"] = mounted
    return PodParts(container, volumes, claims, warn)
