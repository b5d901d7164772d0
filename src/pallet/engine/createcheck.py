"""What ``POST /containers/create`` refuses before anything is made.

dockerd checks a container's config and resources when it is created
(``verifyContainerSettings``, ``verifyPlatformContainerResources``); a value the
kernel or the runtime would only refuse at start (a memory limit below 6 MB, a CFS
quota of 1, an OOM score of 5000, an unknown ulimit, a 300-character hostname, a bad
tmpfs option, a healthcheck every nanosecond, an unknown stop signal) is a 400 with
Docker's wording, and nothing (record, bundle, snapshot, cgroup) is left behind.
``check_resources`` also guards ``POST /containers/{id}/update``. Env and labels get a
size limit: an env entry longer than the kernel's ``MAX_ARG_STRLEN`` could never exec.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import msgspec

from pallet.api.models import (
    ContainerConfig,
    CreateRequest,
    HealthConfig,
    HostConfig,
    TmpfsOptions,
)
from pallet.api.wirevalues import check_wire
from pallet.errors import InvalidArgument
from pallet.notation.resources import parse_cpuset
from pallet.notation.signals import parse_signal

MIN_MEMORY = 6 * 1024 * 1024
MIN_DURATION = 1_000_000  # 1 ms, in ns
HOST_NAME_MAX = 64
ENV_ENTRY_MAX = 128 * 1024  # MAX_ARG_STRLEN
ENV_TOTAL_MAX = 1024 * 1024
LABELS_TOTAL_MAX = 256 * 1024
RLIMITS = frozenset({"as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue",
                     "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending",
                     "stack"})
TMPFS_FLAGS = frozenset({
    "ro", "rw", "exec", "noexec", "suid", "nosuid", "dev", "nodev", "sync", "async",
    "dirsync", "remount", "mand", "nomand", "atime", "noatime", "diratime", "nodiratime",
    "relatime", "norelatime", "strictatime", "nostrictatime", "private", "rprivate",
    "shared", "rshared", "slave", "rslave", "unbindable", "runbindable", "tmpcopyup",
    "notmpcopyup"})
_TMPFS_DATA = {
    "size": re.compile(r"\d+[kKmMgGtTpPeE%]?"), "nr_blocks": re.compile(r"\d+[kKmMgGtTpPeE%]?"),
    "nr_inodes": re.compile(r"\d+[kKmMgGtTpPeE%]?"), "mode": re.compile(r"[0-7]{1,4}"),
    "uid": re.compile(r"\d+"), "gid": re.compile(r"\d+"), "mpol": re.compile(r"[a-z]+(:.*)?"),
}


@dataclass(frozen=True)
class HostLimits:
    cpus: frozenset[int]
    mems: frozenset[int]

    @property
    def ncpu(self) -> int:
        return len(self.cpus)


@cache
def host_limits() -> HostLimits:
    """The CPUs and memory nodes this daemon may hand out."""
    try:
        mems = parse_cpuset(Path("/sys/devices/system/node/online").read_text().strip())
    except (OSError, ValueError):
        mems = frozenset({0})
    return HostLimits(frozenset(os.sched_getaffinity(0)), mems)


def _cpuset_text(members: frozenset[int]) -> str:
    ranges: list[str] = []
    for n in sorted(members):
        if ranges and n - 1 == int(ranges[-1].rpartition("-")[2]):
            ranges[-1] = f"{ranges[-1].partition('-')[0]}-{n}"
        else:
            ranges.append(str(n))
    return ",".join(ranges)


def _cpuset(text: str, available: frozenset[int], what: str, plural: str) -> None:
    if not text:
        return
    try:
        wanted = parse_cpuset(text)
    except ValueError:
        raise InvalidArgument(f"Invalid value {text} for cpuset {what}") from None
    if not wanted <= available:
        raise InvalidArgument(f"Requested {plural} are not available - requested {text}, "
                              f"available: {_cpuset_text(available)}")


def check_resources(hc: HostConfig, host: HostLimits) -> None:
    """dockerd's resource rules (verifyPlatformContainerResources)."""
    if hc.Memory and hc.Memory < MIN_MEMORY:
        raise InvalidArgument("Minimum memory limit allowed is 6MB")
    if hc.MemorySwap > 0 and not hc.Memory:
        raise InvalidArgument("You should always set the Memory limit when using Memoryswap "
                              "limit, see usage")
    if hc.Memory > 0 and 0 < hc.MemorySwap < hc.Memory:
        raise InvalidArgument("Minimum memoryswap limit should be larger than memory limit, "
                              "see usage")
    if hc.MemoryReservation and hc.MemoryReservation < MIN_MEMORY:
        raise InvalidArgument("Minimum memory reservation allowed is 6MB")
    if hc.Memory > 0 and hc.MemoryReservation > 0 and hc.Memory < hc.MemoryReservation:
        raise InvalidArgument("Minimum memory limit can not be less than memory reservation "
                              "limit, see usage")
    swappiness = hc.MemorySwappiness
    if swappiness is not None and swappiness != -1 and not 0 <= swappiness <= 100:
        raise InvalidArgument(f"Invalid value: {swappiness}, valid memory swappiness range "
                              "is 0-100")
    if hc.NanoCpus:
        if hc.CpuPeriod:
            raise InvalidArgument("Conflicting options: Nano CPUs and CPU Period cannot both "
                                  "be set")
        if hc.CpuQuota:
            raise InvalidArgument("Conflicting options: Nano CPUs and CPU Quota cannot both "
                                  "be set")
        if not 10_000_000 <= hc.NanoCpus <= host.ncpu * 1_000_000_000:
            raise InvalidArgument(f"Range of CPUs is from 0.01 to {host.ncpu}.00, as there "
                                  f"are only {host.ncpu} CPUs available")
    if hc.CpuPeriod and not 1000 <= hc.CpuPeriod <= 1_000_000:
        raise InvalidArgument("CPU cfs period can not be less than 1ms (i.e. 1000) or larger "
                              "than 1s (i.e. 1000000)")
    if 0 < hc.CpuQuota < 1000:
        raise InvalidArgument("CPU cfs quota can not be less than 1ms (i.e. 1000)")
    if hc.CpuShares < 0:
        raise InvalidArgument(f"invalid CPU shares {hc.CpuShares}: must not be negative")
    _cpuset(hc.CpusetCpus, host.cpus, "cpus", "CPUs")
    _cpuset(hc.CpusetMems, host.mems, "mems", "memory nodes")
    if hc.BlkioWeight and not 10 <= hc.BlkioWeight <= 1000:
        raise InvalidArgument("Range of blkio weight is from 10 to 1000")


def _host(hc: HostConfig) -> None:
    if not -1000 <= hc.OomScoreAdj <= 1000:
        raise InvalidArgument(f"Invalid value {hc.OomScoreAdj}, range for oom score adj is "
                              "[-1000, 1000]")
    if hc.ShmSize < 0:
        raise InvalidArgument("SHM size can not be less than 0")
    for u in hc.Ulimits or []:
        if u.Name not in RLIMITS:
            raise InvalidArgument(f"invalid ulimit type: {u.Name}")
        if u.Hard >= 0 and u.Soft > u.Hard:
            raise InvalidArgument("ulimit soft limit must be less than or equal to hard "
                                  f"limit: {u.Soft} > {u.Hard}")
    for dest, opts in (hc.Tmpfs or {}).items():
        if not dest.startswith("/"):
            raise InvalidArgument(f"invalid mount path: '{dest}' mount path must be absolute")
        for opt in filter(None, (o.strip() for o in opts.split(","))):
            key, eq, value = opt.partition("=")
            rule = _TMPFS_DATA.get(key)
            if (not eq and opt not in TMPFS_FLAGS) or (eq and (
                    rule is None or not rule.fullmatch(value))):
                shown = " ".join(f'"{p}"' for p in ([key, value] if eq else [key]))
                raise InvalidArgument(f"Invalid tmpfs option [{shown}]")
    for port, bindings in (hc.PortBindings or {}).items():
        for b in bindings or []:
            if b.HostIp and not _is_ip(b.HostIp.strip("[]")):
                raise InvalidArgument(f"invalid host IP address {b.HostIp!r} in the port "
                                      f"binding of {port}")
    for server in hc.Dns or []:
        if not _is_ip(server):
            raise InvalidArgument(f"invalid DNS server {server!r}: IP address is not "
                                  "correctly formatted")
    for entry in hc.ExtraHosts or []:
        host, sep, ip = entry.partition("=" if "=" in entry else ":")
        if not sep or not host or (ip != "host-gateway" and not _is_ip(ip.strip("[]"))):
            raise InvalidArgument(f"invalid IP address in add-host: {entry!r}")
    for m in hc.Mounts or []:
        tmpfs = m.TmpfsOptions or TmpfsOptions()
        size, mode = tmpfs.SizeBytes, tmpfs.Mode
        if size < 0:
            raise InvalidArgument(f'invalid mount config for type "tmpfs": invalid size {size}')
        if not 0 <= mode <= 0o7777:
            raise InvalidArgument(f'invalid mount config for type "tmpfs": invalid mode {mode}')


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _health(h: HealthConfig) -> None:
    for field in ("Interval", "Timeout", "StartPeriod", "StartInterval"):
        value = getattr(h, field)
        if value and value < MIN_DURATION:
            raise InvalidArgument(f"{field} in Healthcheck cannot be less than 1ms")
    if h.Retries < 0:
        raise InvalidArgument("Retries in Healthcheck cannot be negative")


def _config(cfg: ContainerConfig) -> None:
    for field in ("Hostname", "Domainname"):
        value = getattr(cfg, field)
        if len(value.encode()) > HOST_NAME_MAX:
            raise InvalidArgument(f"invalid {field.lower()}: {len(value.encode())} characters, "
                                  f"at most {HOST_NAME_MAX} are allowed")
    if cfg.StopSignal:
        parse_signal(cfg.StopSignal)
    if cfg.Healthcheck is not None:
        _health(cfg.Healthcheck)
    env = cfg.Env or []
    if any(len(e.encode()) > ENV_ENTRY_MAX for e in env):
        raise InvalidArgument(f"an environment variable is longer than {ENV_ENTRY_MAX} bytes")
    if sum(len(e.encode()) + 1 for e in env) > ENV_TOTAL_MAX:
        raise InvalidArgument(f"the environment is larger than {ENV_TOTAL_MAX} bytes")
    labels = cfg.Labels or {}
    if sum(len(k.encode()) + len(v.encode()) for k, v in labels.items()) > LABELS_TOTAL_MAX:
        raise InvalidArgument(f"the labels are larger than {LABELS_TOTAL_MAX} bytes")


def check_create(req: CreateRequest, host: HostLimits) -> None:
    """Refuse a create body dockerd would refuse, or that could never start."""
    check_wire(msgspec.to_builtins(req))
    _config(req)
    if req.HostConfig is not None:
        check_resources(req.HostConfig, host)
        _host(req.HostConfig)
