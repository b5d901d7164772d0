"""Reading a container's resource usage from its cgroup (v1, hybrid or v2).

``read_cgroup("/pallet/<id>", layout)`` returns a ``CgroupSample`` with the numbers
Docker's stats report needs. On v1 (and the hybrid layout, whose controllers are
v1) each controller is its own tree under ``/sys/fs/cgroup/<controller>``; on v2
one directory has every file. Missing files read as zero: a container that just
exited, or a controller the kernel lacks, gives zeros rather than an error.

Block I/O on v1 is only accounted once a throttle rule exists for the device
(see ``enable_blkio_accounting``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
HUGE = 1 << 62  # v1 reports "no limit" as a number near 2**63
INFINITE_BPS = 1 << 40


@dataclass
class BlkioEntry:
    major: int
    minor: int
    op: str  # Read, Write, Sync, Async, Discard, Total (v1 spelling)
    value: int


@dataclass
class CgroupSample:
    read_ns: int = 0  # wall clock of the sample
    cpu_total_ns: int = 0
    cpu_percpu_ns: list[int] = field(default_factory=list)
    cpu_user_ns: int = 0
    cpu_system_ns: int = 0
    throttle_periods: int = 0
    throttled_periods: int = 0
    throttled_ns: int = 0
    memory_usage: int = 0
    memory_max_usage: int = 0
    memory_limit: int = 0  # 0: no limit
    memory_failcnt: int = 0
    oom_kills: int = 0  # the OOM killer's kills so far (v2 ``memory.events``; v1 has none)
    memory_stat: dict[str, int] = field(default_factory=dict)
    pids_current: int = 0
    pids_limit: int = 0  # 0: no limit
    blkio_bytes: list[BlkioEntry] = field(default_factory=list)
    blkio_ios: list[BlkioEntry] = field(default_factory=list)


def _text(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _int(path: Path) -> int:
    text = _text(path).strip()
    if not text or text == "max":
        return 0
    try:
        return int(text.split()[0])
    except ValueError:
        return 0


def _kv(path: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in _text(path).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            out[parts[0]] = int(parts[1])
    return out


def _v1_blkio(path: Path) -> list[BlkioEntry]:
    out = []
    for line in _text(path).splitlines():
        parts = line.split()
        if len(parts) == 3 and ":" in parts[0]:
            major, _, minor = parts[0].partition(":")
            out.append(BlkioEntry(int(major), int(minor), parts[1], int(parts[2])))
    return out


_TICK_NS = 1_000_000_000 // (os.sysconf("SC_CLK_TCK") or 100)


def read_v1(cgroup: str, root: Path = CGROUP_ROOT) -> CgroupSample:
    rel = cgroup.strip("/")
    s = CgroupSample(read_ns=time.time_ns())
    acct = root / "cpuacct" / rel
    s.cpu_total_ns = _int(acct / "cpuacct.usage")
    s.cpu_percpu_ns = [int(x) for x in _text(acct / "cpuacct.usage_percpu").split() if x.isdigit()]
    ticks = _kv(acct / "cpuacct.stat")
    s.cpu_user_ns = ticks.get("user", 0) * _TICK_NS
    s.cpu_system_ns = ticks.get("system", 0) * _TICK_NS
    cpu = _kv(root / "cpu" / rel / "cpu.stat")
    s.throttle_periods = cpu.get("nr_periods", 0)
    s.throttled_periods = cpu.get("nr_throttled", 0)
    s.throttled_ns = cpu.get("throttled_time", 0)
    mem = root / "memory" / rel
    s.memory_usage = _int(mem / "memory.usage_in_bytes")
    s.memory_max_usage = _int(mem / "memory.max_usage_in_bytes")
    limit = _int(mem / "memory.limit_in_bytes")
    s.memory_limit = 0 if limit >= HUGE else limit
    s.memory_failcnt = _int(mem / "memory.failcnt")
    s.memory_stat = _kv(mem / "memory.stat")
    pids = root / "pids" / rel
    s.pids_current = _int(pids / "pids.current")
    s.pids_limit = _int(pids / "pids.max")
    blkio = root / "blkio" / rel
    s.blkio_bytes = _v1_blkio(blkio / "blkio.throttle.io_service_bytes_recursive")
    s.blkio_ios = _v1_blkio(blkio / "blkio.throttle.io_serviced_recursive")
    return s


def _v2_io(path: Path) -> tuple[list[BlkioEntry], list[BlkioEntry]]:
    """``io.stat`` lines ``8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...``."""
    nbytes: list[BlkioEntry] = []
    ios: list[BlkioEntry] = []
    for line in _text(path).splitlines():
        parts = line.split()
        if not parts or ":" not in parts[0]:
            continue
        major, _, minor = parts[0].partition(":")
        vals = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        for key, op, dest in (("rbytes", "read", nbytes), ("wbytes", "write", nbytes),
                              ("rios", "read", ios), ("wios", "write", ios)):
            if vals.get(key, "").isdigit():
                dest.append(BlkioEntry(int(major), int(minor), op, int(vals[key])))
    return nbytes, ios


def read_v2(cgroup: str, root: Path = CGROUP_ROOT) -> CgroupSample:
    d = root / cgroup.strip("/")
    s = CgroupSample(read_ns=time.time_ns())
    cpu = _kv(d / "cpu.stat")
    s.cpu_total_ns = cpu.get("usage_usec", 0) * 1000
    s.cpu_user_ns = cpu.get("user_usec", 0) * 1000
    s.cpu_system_ns = cpu.get("system_usec", 0) * 1000
    s.throttle_periods = cpu.get("nr_periods", 0)
    s.throttled_periods = cpu.get("nr_throttled", 0)
    s.throttled_ns = cpu.get("throttled_usec", 0) * 1000
    s.memory_usage = _int(d / "memory.current")
    s.memory_max_usage = _int(d / "memory.peak")
    s.memory_limit = _int(d / "memory.max")
    events = _kv(d / "memory.events")
    s.memory_failcnt = events.get("oom", 0)
    s.oom_kills = events.get("oom_kill", 0)
    s.memory_stat = _kv(d / "memory.stat")
    s.pids_current = _int(d / "pids.current")
    s.pids_limit = _int(d / "pids.max")
    s.blkio_bytes, s.blkio_ios = _v2_io(d / "io.stat")
    return s


def read_cgroup(cgroup: str, layout: str, root: Path = CGROUP_ROOT) -> CgroupSample:
    """The sample of ``cgroup`` (an absolute cgroup path such as ``/pallet/<id>``)."""
    return read_v2(cgroup, root) if layout == "v2" else read_v1(cgroup, root)


def system_cpu_ns(stat: Path = Path("/proc/stat")) -> int:
    """The host's total CPU time (all CPUs, all modes) in ns, as dockerd computes it."""
    for line in _text(stat).splitlines():
        if line.startswith("cpu "):
            return sum(int(x) for x in line.split()[1:8]) * _TICK_NS
    return 0


def online_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except OSError:
        return os.cpu_count() or 1


def mem_total(meminfo: Path = Path("/proc/meminfo")) -> int:
    for line in _text(meminfo).splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return 0


NET_FIELDS = ("rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
              "tx_bytes", "tx_packets", "tx_errors", "tx_dropped")


def net_dev(pid: int, proc: Path = Path("/proc")) -> dict[str, dict[str, int]]:
    """Interface counters of the network namespace of ``pid`` (without ``lo``)."""
    out: dict[str, dict[str, int]] = {}
    if pid <= 0:
        return out
    for line in _text(proc / str(pid) / "net" / "dev").splitlines()[2:]:
        name, _, rest = line.partition(":")
        name = name.strip()
        nums = rest.split()
        if not name or name == "lo" or len(nums) < 16:
            continue
        vals = [int(x) for x in nums]
        out[name] = dict(zip(NET_FIELDS, (*vals[0:4], *vals[8:12]), strict=True))
    return out


def enable_blkio_accounting(cgroup: str, device: tuple[int, int], layout: str,
                            root: Path = CGROUP_ROOT) -> bool:
    """v1 only counts I/O for devices with a throttle rule: add an effectively infinite one."""
    if layout == "v2":
        return True
    d = root / "blkio" / cgroup.strip("/")
    rule = f"{device[0]}:{device[1]} {INFINITE_BPS}\n"
    ok = True
    for name in ("blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device"):
        try:
            with open(d / name, "w") as f:
                f.write(rule)
        except OSError:
            ok = False
    return ok


def device_of(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return os.major(st.st_dev), os.minor(st.st_dev)
