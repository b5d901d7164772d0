"""A compose service as an Engine API ``POST /containers/create`` body, and project
networks and volumes as their create bodies: the translation Compose v2 makes, field by
field. Pure: the caller supplies the image ID and the IDs of containers a service shares
a namespace with.
"""

from __future__ import annotations

from typing import Any

from pallet.compose import labels
from pallet.compose.desired import networks, service_networks
from pallet.compose.model import Healthcheck, Network, Project, Service, Volume
from pallet.compose.mounts import Filesystem

Wire = dict[str, Any]
_NS = 1_000_000_000


def image_name(project: Project, service: Service) -> str:
    """The service's image, or ``PROJECT-SERVICE`` for one that is only built."""
    return service.image or f"{project.name}{labels.SEPARATOR}{service.name}"


def _drop_empty(doc: Wire) -> Wire:
    return {k: v for k, v in doc.items() if v not in (None, "", [], {})}


def healthcheck(hc: Healthcheck | None) -> Wire | None:
    if hc is None:
        return None
    if hc.disable:
        return {"Test": ["NONE"]}
    return _drop_empty({"Test": hc.test, "Interval": hc.interval, "Timeout": hc.timeout,
                        "Retries": hc.retries, "StartPeriod": hc.start_period,
                        "StartInterval": hc.start_interval})


def _env(service: Service) -> list[str]:
    return [k if v is None else f"{k}={v}" for k, v in (service.environment or {}).items()]


def _ports(service: Service) -> tuple[Wire, Wire]:
    exposed: Wire = {}
    bindings: dict[str, list[Wire]] = {}
    for p in service.ports or []:
        key = f"{p.target}/{p.protocol}"
        exposed[key] = {}
        bindings.setdefault(key, []).append({"HostIp": p.host_ip or "",
                                             "HostPort": p.published or ""})
    for e in service.expose or []:
        port, _, proto = e.partition("/")
        first, _, last = port.partition("-")
        for n in range(int(first), int(last or first) + 1):
            exposed[f"{n}/{proto or 'tcp'}"] = {}
    return exposed, bindings


def restart_policy(service: Service) -> Wire:
    name, count = "", 0
    if service.restart:
        name, _, num = service.restart.partition(":")
        count = int(num) if num.isdigit() else 0
    policy = service.deploy.restart_policy if service.deploy else None
    if policy is not None:
        name = policy.condition or "any"
        count = policy.max_attempts or 0
    name = {"none": "no", "any": "always"}.get(name, name)
    return {"Name": name, "MaximumRetryCount": count} if name else {}


def _resources(service: Service) -> Wire:
    res: Wire = {
        "Memory": service.mem_limit, "MemorySwap": service.memswap_limit,
        "MemoryReservation": service.mem_reservation, "MemorySwappiness": service.mem_swappiness,
        "NanoCpus": int(service.cpus * _NS) if service.cpus else None,
        "CpuShares": service.cpu_shares, "CpuQuota": service.cpu_quota,
        "CpuPeriod": service.cpu_period, "CpusetCpus": service.cpuset,
        "CpuRealtimePeriod": service.cpu_rt_period, "CpuRealtimeRuntime": service.cpu_rt_runtime,
        "PidsLimit": service.pids_limit, "CgroupParent": service.cgroup_parent,
        "OomKillDisable": service.oom_kill_disable or None,
        "DeviceCgroupRules": service.device_cgroup_rules,
    }
    deploy = service.deploy.resources if service.deploy else None
    if deploy and deploy.limits:
        lim = deploy.limits
        res["Memory"] = lim.memory or res["Memory"]
        res["NanoCpus"] = int(lim.cpus * _NS) if lim.cpus else res["NanoCpus"]
        res["PidsLimit"] = lim.pids or res["PidsLimit"]
    if deploy and deploy.reservations and deploy.reservations.memory:
        res["MemoryReservation"] = deploy.reservations.memory
    if service.ulimits:
        res["Ulimits"] = [
            {"Name": name, "Soft": u.soft if u.soft is not None else u.single,
             "Hard": u.hard if u.hard is not None else u.single}
            for name, u in sorted(service.ulimits.items())]
    if service.devices:
        res["Devices"] = [{"PathOnHost": d.source, "PathInContainer": d.target,
                           "CgroupPermissions": d.permissions} for d in service.devices]
    return _drop_empty(res)


def _endpoint(project: Project, service: Service, key: str, name: str) -> Wire:
    cfg = (service.networks or {}).get(key)
    aliases = [name, service.name, *((cfg.aliases or []) if cfg else [])]
    ep: Wire = {"Aliases": aliases}
    if cfg:
        ipam = _drop_empty({"IPv4Address": cfg.ipv4_address, "IPv6Address": cfg.ipv6_address,
                            "LinkLocalIPs": cfg.link_local_ips})
        if ipam:
            ep["IPAMConfig"] = ipam
        if cfg.mac_address:
            ep["MacAddress"] = cfg.mac_address
        opts = dict(cfg.driver_opts or {})
        if cfg.interface_name:
            opts["com.docker.network.endpoint.ifname"] = cfg.interface_name
        if opts:
            ep["DriverOpts"] = opts
        if cfg.gw_priority:
            ep["GwPriority"] = cfg.gw_priority
    return ep


def _networking(project: Project, service: Service, name: str,
                shared: dict[str, str]) -> tuple[str, Wire | None]:
    mode = service.network_mode
    if mode:
        if mode.startswith("service:"):
            return "container:" + shared[mode.removeprefix("service:")], None
        return mode, None
    nets = networks(project)
    attached = service_networks(service)
    endpoints = {nets[k].name: _endpoint(project, service, k, name) for k, _ in attached}
    primary = nets[attached[0][0]].name
    return primary, {"EndpointsConfig": endpoints}


def _namespace(mode: str | None, shared: dict[str, str]) -> str | None:
    if mode and mode.startswith("service:"):
        return "container:" + shared[mode.removeprefix("service:")]
    return mode


def container_body(project: Project, service: Service, *, name: str, number: int | None,
                   config_hash: str, fs: Filesystem, image_id: str = "",
                   shared: dict[str, str] | None = None) -> Wire:
    """The create body of replica ``number`` (None: a one-off) called ``name``;
    ``shared`` maps a service named by ``network_mode``/``ipc``/``pid``/``volumes_from``
    to the ID of its first container."""
    shared = shared or {}
    deps = {d: (c.condition, c.restart) for d, c in (service.depends_on or {}).items()}
    lab = dict(service.labels or {})
    lab.update(labels.container_labels(
        project.name, service.name, number=number, config_hash=config_hash,
        working_dir=project.working_dir, config_files=project.compose_files,
        env_files=project.env_files, depends_on=labels.depends_on_label(deps), image_id=image_id))
    exposed, bindings = _ports(service)
    network_mode, networking = _networking(project, service, name, shared)
    host = _drop_empty({
        "Binds": fs.binds, "Mounts": fs.mounts, "Tmpfs": fs.tmpfs,
        "NetworkMode": network_mode, "PortBindings": bindings,
        "RestartPolicy": restart_policy(service),
        "CapAdd": service.cap_add, "CapDrop": service.cap_drop,
        "SecurityOpt": service.security_opt, "Privileged": service.privileged or None,
        "ReadonlyRootfs": service.read_only or None, "Init": service.init,
        "ExtraHosts": [_host_entry(h) for h in service.extra_hosts or []],
        "Dns": service.dns, "DnsSearch": service.dns_search, "DnsOptions": service.dns_opt,
        "ShmSize": service.shm_size, "Sysctls": service.sysctls,
        "GroupAdd": service.group_add, "OomScoreAdj": service.oom_score_adj,
        "IpcMode": _namespace(service.ipc, shared), "PidMode": _namespace(service.pid, shared),
        "UTSMode": service.uts, "UsernsMode": service.userns_mode,
        "CgroupnsMode": service.cgroup, "Runtime": service.runtime,
        "StorageOpt": service.storage_opt, "Links": service.links,
        "VolumesFrom": [_volumes_from(v, shared) for v in service.volumes_from or []],
        "LogConfig": ({"Type": service.logging.driver or "", "Config": service.logging.options
                       or {}} if service.logging else None),
        **_resources(service),
    })
    body = _drop_empty({
        "Image": image_name(project, service), "Hostname": service.hostname,
        "Domainname": service.domainname, "User": service.user,
        "Env": _env(service), "Cmd": service.command, "Entrypoint": service.entrypoint,
        "WorkingDir": service.working_dir, "Labels": lab, "ExposedPorts": exposed,
        "StopSignal": service.stop_signal, "Healthcheck": healthcheck(service.healthcheck),
        "StopTimeout": (service.stop_grace_period // _NS
                        if service.stop_grace_period is not None else None),
        "Tty": service.tty or None, "OpenStdin": service.stdin_open or None,
        "MacAddress": service.mac_address, "HostConfig": host,
        "NetworkingConfig": networking,
    })
    # an explicit empty command or entrypoint resets the image's
    for key, value in (("Cmd", service.command), ("Entrypoint", service.entrypoint)):
        if value == []:
            body[key] = []
    return body


def inherit_anonymous(body: Wire, old_mounts: list[Wire]) -> None:
    """Keep a recreated container's anonymous volumes, as Compose v2 does: a volume
    with no name of its own that the old container had at a path where the new one
    mounts nothing named goes to the new container at that path (``up -V`` skips this)."""
    host = body.setdefault("HostConfig", {})
    named = {b.split(":")[1] for b in host.get("Binds") or [] if b.count(":") >= 1}
    named |= {m["Target"] for m in host.get("Mounts") or [] if m.get("Source")}
    named |= set(host.get("Tmpfs") or {})
    kept = []
    for m in old_mounts:
        name, dest = str(m.get("Name") or ""), str(m.get("Destination") or "")
        if m.get("Type") == "volume" and _anonymous(name) and dest and dest not in named:
            kept.append({"Type": "volume", "Source": name, "Target": dest,
                         "ReadOnly": not m.get("RW", True)})
    if kept:
        targets = {k["Target"] for k in kept}
        mounts = [m for m in host.get("Mounts") or [] if m.get("Target") not in targets]
        host["Mounts"] = mounts + kept


def _anonymous(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def _host_entry(entry: str) -> str:
    """``host=ip`` (as the model holds it) or ``host:ip`` -> the engine's ``host:ip``."""
    host, sep, ip = entry.partition("=")
    return f"{host}:{ip}" if sep else entry


def _volumes_from(entry: str, shared: dict[str, str]) -> str:
    ref, _, mode = entry.partition(":")
    if ref == "container":
        return entry.removeprefix("container:")
    target = shared.get(ref, ref)
    return f"{target}:{mode}" if mode else target


def network_body(project: Project, key: str, net: Network) -> Wire:
    ipam: Wire = {"Driver": (net.ipam.driver if net.ipam else None) or "default"}
    if net.ipam and net.ipam.config:
        ipam["Config"] = [_drop_empty({"Subnet": p.subnet, "Gateway": p.gateway,
                                       "IPRange": p.ip_range,
                                       "AuxiliaryAddresses": p.aux_addresses})
                          for p in net.ipam.config]
    if net.ipam and net.ipam.options:
        ipam["Options"] = net.ipam.options
    lab = dict(net.labels or {})
    lab.update(labels.network_labels(project.name, key))
    return {"Name": net.name, "Driver": net.driver or "bridge", "Internal": net.internal,
            "Attachable": net.attachable, "EnableIPv6": bool(net.enable_ipv6),
            "Options": net.driver_opts or {}, "Labels": lab, "IPAM": ipam,
            "CheckDuplicate": True}


def volume_body(project: Project, key: str, vol: Volume) -> Wire:
    lab = dict(vol.labels or {})
    lab.update(labels.volume_labels(project.name, key))
    return {"Name": vol.name, "Driver": vol.driver or "local",
            "DriverOpts": vol.driver_opts or {}, "Labels": lab}
