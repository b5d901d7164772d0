"""The ``POST /containers/create`` body for ``run``/``create`` flags, shaped like
the docker CLI's (``Config`` fields at the top level, ``HostConfig``,
``NetworkingConfig``). Pure: flags in, JSON-ready dict out."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from pallet.errors import InvalidArgument
from pallet.notation.keyvalue import (
    parse_env,
    parse_labels,
    parse_map,
    read_env_file,
    read_label_file,
)
from pallet.notation.ports import merge_publish, parse_expose

# The parsers of flags a plain ``run`` does not use (mounts, resources, sizes,
# durations, signals) are imported where they are needed: they pull in
# dataclasses, decimal, csv and signal, a few ms of every ``pallet run``.


class RunFlags:
    """Flags of ``run``/``create`` as given (strings, as docker parses them).

    A plain class, not a dataclass (whose import and code generation cost the
    CLI ~8 ms): keyword-only construction; list fields start as new empty lists.
    """

    detach: bool = False
    rm: bool = False
    name: str | None = None
    env: list[str]
    env_file: list[str]
    workdir: str = ""
    user: str = ""
    hostname: str = ""
    domainname: str = ""
    label: list[str]
    label_file: list[str]
    entrypoint: str | None = None
    interactive: bool = False
    tty: bool = False
    init: bool = False
    runtime: str = ""
    publish: list[str]
    publish_all: bool = False
    expose: list[str]
    volume: list[str]
    mount: list[str]
    tmpfs: list[str]
    volumes_from: list[str]
    network: list[str]
    network_alias: list[str]
    ip: str = ""
    ip6: str = ""
    mac_address: str = ""
    dns: list[str]
    dns_search: list[str]
    dns_option: list[str]
    add_host: list[str]
    restart: str = "no"
    health_cmd: str = ""
    health_interval: str = ""
    health_timeout: str = ""
    health_retries: int = 0
    health_start_period: str = ""
    health_start_interval: str = ""
    no_healthcheck: bool = False
    memory: str = ""
    memory_swap: str = ""
    memory_reservation: str = ""
    memory_swappiness: int = -1
    cpus: str = ""
    cpu_shares: int = 0
    cpu_period: int = 0
    cpu_quota: int = 0
    cpuset_cpus: str = ""
    cpuset_mems: str = ""
    pids_limit: int = 0
    oom_kill_disable: bool = False
    oom_score_adj: int = 0
    read_only: bool = False
    cap_add: list[str]
    cap_drop: list[str]
    security_opt: list[str]
    ulimit: list[str]
    log_driver: str = ""
    log_opt: list[str]
    stop_signal: str = ""
    stop_timeout: int | None = None
    privileged: bool = False
    shm_size: str = ""
    sysctl: list[str]
    attach: list[str]
    cidfile: str = ""
    group_add: list[str]
    device: list[str]
    pid: str = ""
    ipc: str = ""
    uts: str = ""
    userns: str = ""
    cgroupns: str = ""
    cgroup_parent: str = ""
    annotation: list[str]

    def __init__(self, **values: Any) -> None:
        for key in _LISTS:
            setattr(self, key, [])
        for key, value in values.items():
            if key not in _FIELDS:
                raise TypeError(f"RunFlags has no flag {key!r}")
            setattr(self, key, value)

    def __repr__(self) -> str:
        return f"RunFlags({', '.join(f'{k}={getattr(self, k)!r}' for k in _FIELDS)})"


_FIELDS = frozenset(RunFlags.__annotations__)
_LISTS = tuple(k for k in RunFlags.__annotations__ if not hasattr(RunFlags, k))


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


def _security_opts(values: list[str]) -> list[str]:
    out = []
    for opt in values:
        if opt.startswith("label:"):
            opt = "label=" + opt[len("label:") :]
        key, eq, value = opt.partition("=")
        if key == "seccomp" and eq and value not in ("unconfined", "builtin"):
            try:
                with open(value, encoding="utf-8") as fh:
                    profile = json.load(fh)
            except (OSError, ValueError) as err:
                raise InvalidArgument(f"opening seccomp profile ({value}) failed: {err}") from None
            opt = "seccomp=" + json.dumps(profile, separators=(",", ":"))
        out.append(opt)
    return out


def _extra_hosts(values: list[str]) -> list[str]:
    out = []
    for value in values:
        host, sep, addr = value.partition("=")
        if not sep:
            host, sep, addr = value.partition(":")
        if not sep or not host or not addr:
            raise InvalidArgument(f"bad format for add-host: {value!r}")
        out.append(f"{host}:{addr}")
    return out


def _devices(values: list[str]) -> list[dict[str, str]]:
    out = []
    for value in values:
        parts = value.split(":")
        src = parts[0]
        dst = parts[1] if len(parts) > 1 and parts[1].startswith("/") else src
        perms = parts[-1] if len(parts) > 1 and not parts[-1].startswith("/") else "rwm"
        out.append({"PathOnHost": src, "PathInContainer": dst, "CgroupPermissions": perms})
    return out


def _restart(text: str) -> dict[str, Any]:
    if text in ("", "no"):  # the default
        return {"Name": "no", "MaximumRetryCount": 0}
    from pallet.notation.resources import parse_restart

    return parse_restart(text)


def _memory(text: str) -> int:
    if not text:
        return 0
    from pallet.notation.sizes import parse_memory

    return parse_memory(text)


def _shm_size(text: str) -> int:
    if not text:
        return 0
    from pallet.notation.sizes import parse_size

    return parse_size(text)


def _cpus(text: str) -> int:
    if not text:
        return 0
    from pallet.notation.resources import parse_cpus

    return parse_cpus(text)


def _ulimits(values: list[str]) -> list[dict[str, Any]] | None:
    if not values:
        return None
    from pallet.notation.resources import parse_ulimit

    return [parse_ulimit(u) for u in values]


def _checked(parse: Callable[[str], object]) -> Callable[[str], str]:
    """A flag ``type`` that checks the text with ``parse`` while the command line is
    parsed (docker's typed flags: bytes, decimal, duration) and keeps the text."""

    def check(text: str) -> str:
        try:
            parse(text)
        except InvalidArgument as err:
            raise ValueError(err.message) from None
        return text

    return check


def _stream(text: str) -> None:
    if text.lower() not in ("stdin", "stdout", "stderr"):
        raise InvalidArgument("valid streams are STDIN, STDOUT and STDERR")


def _duration(text: str) -> None:
    if not text:
        return
    from pallet.notation.durations import parse_duration

    if parse_duration(text) < 0:
        raise InvalidArgument("duration cannot be negative")


BYTES = _checked(_memory)  # -m, --memory-swap (-1), --memory-reservation
SIZE = _checked(_shm_size)  # --shm-size
DECIMAL = _checked(_cpus)  # --cpus
DURATION = _checked(_duration)  # --health-*
STREAM = _checked(_stream)  # -a, --attach


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

    restart = _restart(f.restart)
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
        "ExtraHosts": _extra_hosts(list(f.add_host)) or None,
        "GroupAdd": list(f.group_add) or None,
        "IpcMode": f.ipc,
        "Cgroup": "",
        "Links": None,
        "OomScoreAdj": f.oom_score_adj,
        "PidMode": f.pid,
        "Privileged": f.privileged,
        "PublishAllPorts": f.publish_all,
        "ReadonlyRootfs": f.read_only,
        "SecurityOpt": _security_opts(list(f.security_opt)) or None,
        "UTSMode": f.uts,
        "UsernsMode": f.userns,
        "ShmSize": _shm_size(f.shm_size),
        "Isolation": "",
        "CpuShares": f.cpu_shares,
        "Memory": _memory(f.memory),
        "NanoCpus": _cpus(f.cpus),
        "CgroupParent": f.cgroup_parent,
        "BlkioWeight": 0,
        "CpuPeriod": f.cpu_period,
        "CpuQuota": f.cpu_quota,
        "CpuRealtimePeriod": 0,
        "CpuRealtimeRuntime": 0,
        "CpusetCpus": f.cpuset_cpus,
        "CpusetMems": f.cpuset_mems,
        "Devices": _devices(list(f.device)),
        "DeviceCgroupRules": None,
        "DeviceRequests": None,
        "MemoryReservation": _memory(f.memory_reservation),
        "MemorySwap": _memory(f.memory_swap),
        "MemorySwappiness": f.memory_swappiness,
        "OomKillDisable": f.oom_kill_disable,
        "PidsLimit": f.pids_limit if f.pids_limit != 0 else None,
        "Ulimits": _ulimits(list(f.ulimit)),
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
