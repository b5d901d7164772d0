"""``GET /containers/{id}/stats``: Docker's stats document from cgroup samples.

``stats_doc`` is a pure function of two samples (this one and the previous one,
for ``precpu_stats``). ``StatsService.stream`` follows dockerd:

- ``stream=1``: a document about every second; the first has empty ``precpu``.
- ``stream=0``: one document with ``precpu`` from a sample taken a second earlier
  (what ``docker stats --no-stream`` shows CPU % from).
- ``stream=0&one-shot=1``: one document at once, with empty ``precpu``.
- A container that is not running gets one zeroed document.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
from msgspec import UNSET

from pallet.api.view_stats import BlkioEntry as BlkioView
from pallet.api.view_stats import (
    BlkioStats,
    ContainerStats,
    CPUStats,
    CPUUsage,
    InterfaceStats,
    MemoryStats,
    PidsStats,
    ThrottlingData,
)
from pallet.engine.containers import ContainerService
from pallet.engine.plugins import Plugin
from pallet.engine.records import ZERO_TIME, Container
from pallet.notation.times import rfc3339_nano
from pallet.runtime.cgstats import (
    BlkioEntry,
    CgroupSample,
    device_of,
    enable_blkio_accounting,
    mem_total,
    net_dev,
    online_cpus,
    read_cgroup,
    system_cpu_ns,
)

INTERVAL = 1.0
log = logging.getLogger(__name__)


@dataclass
class Snapshot:
    cg: CgroupSample
    system_ns: int
    cpus: int
    networks: dict[str, dict[str, int]] = field(default_factory=dict)


def rfc3339_ns(ns: int) -> str:
    if ns <= 0:
        return ZERO_TIME
    return rfc3339_nano(ns)


def _cpu(s: Snapshot | None) -> CPUStats:
    if s is None:
        return CPUStats()
    cg = s.cg
    return CPUStats(
        cpu_usage=CPUUsage(total_usage=cg.cpu_total_ns,
                           percpu_usage=list(cg.cpu_percpu_ns) or UNSET,
                           usage_in_kernelmode=cg.cpu_system_ns,
                           usage_in_usermode=cg.cpu_user_ns),
        system_cpu_usage=s.system_ns, online_cpus=s.cpus,
        throttling_data=ThrottlingData(periods=cg.throttle_periods,
                                       throttled_periods=cg.throttled_periods,
                                       throttled_time=cg.throttled_ns))


def _blkio(entries: list[BlkioEntry]) -> list[BlkioView] | None:
    if not entries:
        return None
    return [BlkioView(major=e.major, minor=e.minor, op=e.op, value=e.value) for e in entries]


def stats_doc(c: Container, cur: Snapshot | None, pre: Snapshot | None,
              host_memory: int) -> ContainerStats:
    """Docker's stats JSON (API 1.44) for one sample; ``cur`` None: zeros (not running)."""
    doc = ContainerStats(
        name="/" + c.name, id=c.id, read=rfc3339_ns(cur.cg.read_ns) if cur else ZERO_TIME,
        preread=rfc3339_ns(pre.cg.read_ns) if pre else ZERO_TIME, cpu_stats=_cpu(cur),
        precpu_stats=_cpu(pre))
    if cur is None:
        return doc
    cg = cur.cg
    limit = cg.memory_limit if 0 < cg.memory_limit < host_memory else host_memory
    doc.memory_stats = MemoryStats(usage=cg.memory_usage, stats=dict(cg.memory_stat),
                                   limit=limit, max_usage=cg.memory_max_usage or UNSET,
                                   failcnt=cg.memory_failcnt or UNSET)
    doc.pids_stats = PidsStats(current=cg.pids_current, limit=cg.pids_limit or UNSET)
    doc.blkio_stats = BlkioStats(io_service_bytes_recursive=_blkio(cg.blkio_bytes),
                                 io_serviced_recursive=_blkio(cg.blkio_ios))
    if cur.networks:
        doc.networks = {name: msgspec.convert(counters, InterfaceStats)
                        for name, counters in cur.networks.items()}
    return doc


def cpu_percent(doc: ContainerStats) -> float:
    """What ``docker stats`` computes from a document (for tests and metrics)."""
    cpu, pre = doc.cpu_stats, doc.precpu_stats
    delta = cpu.cpu_usage.total_usage - pre.cpu_usage.total_usage
    system = (cpu.system_cpu_usage or 0) - (pre.system_cpu_usage or 0)
    if delta > 0 and system > 0:
        return float(delta / system * (cpu.online_cpus or 1) * 100.0)
    return 0.0


Sampler = Callable[[Container], Snapshot | None]


class StatsService:
    def __init__(self, containers: ContainerService, cgroup_layout: str,
                 sampler: Sampler | None = None, interval: float = INTERVAL) -> None:
        self.containers = containers
        self.layout = cgroup_layout
        self.interval = interval
        self.host_memory = mem_total()
        self._sampler = sampler or self.sample

    def cgroup_of(self, c: Container) -> str:
        return f"{self.containers.host.cgroup_parent}/{c.id}"

    def sample(self, c: Container) -> Snapshot | None:
        """This container's numbers now (None when it is not running)."""
        if not c.running:
            return None
        return Snapshot(read_cgroup(self.cgroup_of(c), self.layout), system_cpu_ns(),
                        online_cpus(), net_dev(c.pid))

    async def _take(self, cid: str) -> tuple[Container, Snapshot | None]:
        c = self.containers.resolve(cid)
        return c, await asyncio.to_thread(self._sampler, c)

    async def stream(self, ref: str, stream: bool, one_shot: bool
                     ) -> AsyncIterator[ContainerStats]:
        c, cur = await self._take(self.containers.resolve(ref).id)
        if cur is None:
            yield stats_doc(c, None, None, self.host_memory)
            return
        if not stream:
            pre: Snapshot | None = None
            if not one_shot:
                await asyncio.sleep(self.interval)
                pre = cur
                c, cur = await self._take(c.id)
            yield stats_doc(c, cur, pre, self.host_memory)
            return
        pre = None
        while True:
            yield stats_doc(c, cur, pre, self.host_memory)
            if cur is None:
                return
            await asyncio.sleep(self.interval)
            pre = cur
            c, cur = await self._take(c.id)


class CgroupPlugin(Plugin):
    """Turns on block I/O accounting for each started container (cgroup v1 needs a rule)."""

    name = "cgroups"

    def __init__(self, stats: StatsService, storage: Path) -> None:
        self.stats = stats
        self.storage = storage
        self._device: tuple[int, int] | None = None

    async def started(self, c: Container) -> None:
        if self.stats.layout == "v2":
            return
        if self._device is None:
            self._device = device_of(self.storage)
        ok = await asyncio.to_thread(enable_blkio_accounting, self.stats.cgroup_of(c),
                                     self._device, self.stats.layout)
        if not ok:
            log.debug("no block I/O accounting for %s", c.short_id)
