"""The ``POST /containers/create`` body for ``run``/``create`` flags, shaped like
the docker CLI's (``Config`` fields at the top level, ``HostConfig``,
``NetworkingConfig``). Pure: flags in, JSON-ready dict out."""

from __future__ import annotations

import os

from pallet.cli.runflags import RunFlags
from pallet.cli.runvalues import (
    devices,
    extra_hosts,
    memory_bytes,
    nano_cpus,
    restart_policy,
    security_opts,
    shm_bytes,
    ulimits,
)
from pallet.errors import InvalidArgument
from pallet.notation.keyvalue import (
    parse_env,
    parse_labels,
    parse_map,
    read_env_file,
    read_label_file,
)
from pallet.notation.ports import merge_publish, parse_expose

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

# Parsers of flags a plain ``run`` does not use are imported where they are
# needed (see :mod:`pallet.cli.runvalues`).


def _dur(value: str, flag: str) -> int:
    if not value:
        return 0
    from pallet.notation.durations import parse_duration

    ns = parse_duration(value)
    if ns < 0:
        raise InvalidArgument(f"{flag} cannot be negative")
    return ns


def healthcheck(f: RunFlags) -> dict[str, Any] | None:
    have = bool(
        f.health_cmd or f.health_interval or f.health_timeout or f.health_retries
        or f.health_start_period or f.health_start_interval
    )  # fmt: skip
    if f.no_healthcheck:
        if have:
            raise InvalidArgument("--no-healthcheck conflicts with --health-* options")
        return {"Test": ["NONE"]}
    if not have:
        return None
    hc: dict[str, Any] = {}
    if f.health_cmd:
        hc["Test"] = ["CMD-SHELL", f.health_cmd]
    for key, value, flag in (
        ("Interval", f.health_interval, "--health-interval"),
        ("Timeout", f.health_timeout, "--health-timeout"),
        ("StartPeriod", f.health_start_period, "--health-start-period"),
        ("StartInterval", f.health_start_interval, "--health-start-interval"),
    ):
        ns = _dur(value, flag)
        if ns:
            hc[key] = ns
    if f.health_retries < 0:
        raise InvalidArgument("--health-retries cannot be negative")
    if f.health_retries:
        hc["Retries"] = f.health_retries
    return hc


def build_create_body(
    f: RunFlags,
    image: str,
    args: list[str],
    *,
    environ: Mapping[str, str] | None = None,
    cwd: str | None = None,
    console: tuple[int, int] | None = None,
    for_run: bool = True,
) -> dict[str, Any]:
    """The create body docker's CLI would send for these flags."""
    env_source = os.environ if environ is None else environ
    for stream in f.attach:
        if stream.lower() not in ("stdin", "stdout", "stderr"):
            raise InvalidArgument(
                f"invalid argument {stream!r}: valid streams are STDIN, STDOUT and STDERR"
            )
    attach = {s.lower() for s in f.attach}
    attach_stdin = "stdin" in attach or f.interactive
    attach_stdout = "stdout" in attach or not attach
    attach_stderr = "stderr" in attach or not attach
    if f.detach:
        if f.attach:
            raise InvalidArgument("Conflicting options: -a and -d")
        attach_stdin = attach_stdout = attach_stderr = False
    stdin_once = for_run and f.interactive and attach_stdin and not f.detach

    env: list[str] = []
    for path in f.env_file:
        env.extend(read_env_file(path, env_source))
    env.extend(parse_env(e, env_source) for e in f.env)
    label_values: list[str] = []
    for path in f.label_file:
        label_values.extend(read_label_file(path))
    labels = parse_labels(label_values + list(f.label))

    exposed, bindings = merge_publish(list(f.publish))
    for spec in f.expose:
        exposed.update(parse_expose(spec))
    anonymous: dict[str, Any] = {}
    binds: list[str] = []
    if f.volume:
        from pallet.notation.mounts import parse_volumes

        vols = parse_volumes(list(f.volume), cwd)
        anonymous, binds = vols.anonymous, vols.binds
    mounts: list[Any] = []
    if f.mount:
        from pallet.notation.mounts import parse_mount

        mounts = [parse_mount(m) for m in f.mount]

    restart = restart_policy(f.restart)
    if f.rm and restart["Name"] not in ("", "no"):
        raise InvalidArgument("Conflicting options: cannot specify both --restart and --rm")

    entrypoint: list[str] | None = None
    if f.entrypoint is not None:
        entrypoint = [f.entrypoint]

    if f.stop_signal:
        from pallet.notation.signals import validate_signal

        validate_signal(f.stop_signal)
    hostname, domainname = f.hostname, f.domainname
    if hostname and "." in hostname and not domainname:
        hostname, _, domainname = hostname.partition(".")

    networks = list(f.network)
    network_mode = networks[0] if networks else "default"
    endpoints: dict[str, Any] = {}
    for i, net in enumerate(networks):
        ep: dict[str, Any] = {}
        if i == 0:
            if f.network_alias:
                ep["Aliases"] = list(f.network_alias)
            ipam = {}
            if f.ip:
                ipam["IPv4Address"] = f.ip
            if f.ip6:
                ipam["IPv6Address"] = f.ip6
            if ipam:
                ep["IPAMConfig"] = ipam
            if f.mac_address:
                ep["MacAddress"] = f.mac_address
        if len(networks) == 1 and not ep:
            continue
        endpoints[net] = ep
    if (f.network_alias or f.ip or f.ip6) and network_mode in ("default", "bridge", "host", "none"):
        raise InvalidArgument(
            "network-scoped aliases and IPs are only supported for user-defined networks"
        )

    config: dict[str, Any] = {
        "Hostname": hostname,
        "Domainname": domainname,
        "User": f.user,
        "AttachStdin": attach_stdin,
        "AttachStdout": attach_stdout,
        "AttachStderr": attach_stderr,
    }
    if exposed:
        config["ExposedPorts"] = exposed
    config.update(
        {
            "Tty": f.tty,
            "OpenStdin": f.interactive,
            "StdinOnce": stdin_once,
            "Env": env,
            "Cmd": list(args) if args else None,
        }
    )
    hc = healthcheck(f)
    if hc is not None:
        config["Healthcheck"] = hc
    config.update(
        {
            "Image": image,
            "Volumes": anonymous,
            "WorkingDir": f.workdir,
            "Entrypoint": entrypoint,
            "OnBuild": None,
            "Labels": labels,
        }
    )
    if f.stop_signal:
        config["StopSignal"] = f.stop_signal
    if f.stop_timeout is not None:
        config["StopTimeout"] = f.stop_timeout

    host: dict[str, Any] = {
        "Binds": binds or None,
        "ContainerIDFile": f.cidfile,
        "LogConfig": {"Type": f.log_driver, "Config": parse_map(list(f.log_opt), "log-opt")},
        "NetworkMode": network_mode,
        "PortBindings": bindings,
        "RestartPolicy": restart,
        "AutoRemove": f.rm,
        "VolumeDriver": "",
        "VolumesFrom": list(f.volumes_from) or None,
        "ConsoleSize": list(console) if console else [0, 0],
        "Annotations": parse_map(list(f.annotation), "annotation") or None,
        "CapAdd": list(f.cap_add) or None,
        "CapDrop": list(f.cap_drop) or None,
        "CgroupnsMode": f.cgroupns,
        "Dns": list(f.dns),
        "DnsOptions": list(f.dns_option),
        "DnsSearch": list(f.dns_search),
        "ExtraHosts": extra_hosts(list(f.add_host)) or None,
        "GroupAdd": list(f.group_add) or None,
        "IpcMode": f.ipc,
        "Cgroup": "",
        "Links": None,
        "OomScoreAdj": f.oom_score_adj,
        "PidMode": f.pid,
        "Privileged": f.privileged,
        "PublishAllPorts": f.publish_all,
        "ReadonlyRootfs": f.read_only,
        "SecurityOpt": security_opts(list(f.security_opt)) or None,
        "UTSMode": f.uts,
        "UsernsMode": f.userns,
        "ShmSize": shm_bytes(f.shm_size),
        "Isolation": "",
        "CpuShares": f.cpu_shares,
        "Memory": memory_bytes(f.memory),
        "NanoCpus": nano_cpus(f.cpus),
        "CgroupParent": f.cgroup_parent,
        "BlkioWeight": 0,
        "CpuPeriod": f.cpu_period,
        "CpuQuota": f.cpu_quota,
        "CpuRealtimePeriod": 0,
        "CpuRealtimeRuntime": 0,
        "CpusetCpus": f.cpuset_cpus,
        "CpusetMems": f.cpuset_mems,
        "Devices": devices(list(f.device)),
        "DeviceCgroupRules": None,
        "DeviceRequests": None,
        "MemoryReservation": memory_bytes(f.memory_reservation),
        "MemorySwap": memory_bytes(f.memory_swap),
        "MemorySwappiness": f.memory_swappiness,
        "OomKillDisable": f.oom_kill_disable,
        "PidsLimit": f.pids_limit if f.pids_limit != 0 else None,
        "Ulimits": ulimits(list(f.ulimit)),
        "MaskedPaths": None,
        "ReadonlyPaths": None,
    }
    if f.tmpfs:
        from pallet.notation.mounts import parse_tmpfs

        host["Tmpfs"] = parse_tmpfs(list(f.tmpfs))
    if f.sysctl:
        host["Sysctls"] = parse_map(list(f.sysctl), "sysctl")
    if f.runtime:
        host["Runtime"] = f.runtime
    if mounts:
        host["Mounts"] = mounts
    if f.init:
        host["Init"] = True
    return {
        **config,
        "HostConfig": host,
        "NetworkingConfig": {"EndpointsConfig": endpoints},
    }
