"""The engine's Prometheus metrics, exposed with ``prometheus_client``.

Per-container series carry cAdvisor's names and labels (``id`` the cgroup path,
``name``, ``image``), so the dashboards and alerts written for cAdvisor read
pallet unchanged: CPU, memory (the working set is usage less inactive file
cache, as ``docker stats``), the limits (``container_spec_*``), network and
block I/O. pallet's own series (``pallet_*``) add what the cgroups do not know:
restart count, health status and failing streak, the last exit's code and OOM
kill, volume usage against its filesystem's size, and the engine's API latency.

Everything is read at scrape time (a collector, not a sampler), so a daemon
nobody scrapes does no work; only a volume's size (a directory walk) is reused for a
minute.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from pallet.engine.healthmon import HealthPlugin
from pallet.engine.lifecycle import State
from pallet.engine.records import Container
from pallet.engine.stats import Snapshot, StatsService

LABELS = ("id", "name", "image")
HEALTH = ("starting", "healthy", "unhealthy")
CFS_PERIOD = 100_000  # the kernel's default CFS period (µs), what --cpus sets


@dataclass(frozen=True)
class VolumeUsage:
    name: str
    used: int  # bytes under the volume's directory
    fs_size: int  # the size of the filesystem holding it
    fs_avail: int  # bytes free on that filesystem


def fs_of(path: str) -> tuple[int, int]:
    """(size, available) bytes of the filesystem holding ``path``."""
    st = os.statvfs(path)
    return st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize


def cpu_limit(c: Container) -> tuple[int, int]:
    """(quota, period) in µs as the cgroup has it; quota 0: no limit."""
    hc = c.host_config
    if hc.NanoCpus:
        return hc.NanoCpus * CFS_PERIOD // 1_000_000_000, CFS_PERIOD
    return hc.CpuQuota if hc.CpuQuota > 0 else 0, hc.CpuPeriod or CFS_PERIOD


def _family(kind: str, name: str, text: str, extra: tuple[str, ...] = ()
            ) -> GaugeMetricFamily | CounterMetricFamily:
    if kind == "counter":
        return CounterMetricFamily(name, text, labels=[*LABELS, *extra])
    return GaugeMetricFamily(name, text, labels=[*LABELS, *extra])


# name -> (kind, help, extra labels); the names without _total are counters in
# cAdvisor too (prometheus_client appends the suffix to a counter family)
_SERIES = {
    "container_cpu_usage_seconds": ("counter", "Cumulative cpu time consumed", ("cpu",)),
    "container_cpu_user_seconds": ("counter", "Cumulative user cpu time consumed", ()),
    "container_cpu_system_seconds": ("counter", "Cumulative system cpu time consumed", ()),
    "container_cpu_cfs_periods": ("counter", "Number of elapsed enforcement periods", ()),
    "container_cpu_cfs_throttled_periods": ("counter", "Number of throttled periods", ()),
    "container_cpu_cfs_throttled_seconds": ("counter", "Total time duration throttled", ()),
    "container_memory_usage_bytes": ("gauge", "Current memory usage in bytes", ()),
    "container_memory_working_set_bytes": ("gauge", "Current working set in bytes", ()),
    "container_memory_max_usage_bytes": ("gauge", "Maximum memory usage in bytes", ()),
    "container_memory_rss": ("gauge", "Size of RSS in bytes", ()),
    "container_memory_cache": ("gauge", "Number of bytes of page cache memory", ()),
    "container_memory_failcnt": ("counter", "Number of memory usage hits limits", ()),
    "container_oom_events": ("counter", "Count of out of memory events observed", ()),
    "container_spec_memory_limit_bytes": ("gauge", "Memory limit for the container", ()),
    "container_spec_cpu_quota": ("gauge", "CPU quota of the container", ()),
    "container_spec_cpu_period": ("gauge", "CPU period of the container", ()),
    "container_processes": ("gauge", "Number of processes running inside the container", ()),
    "container_network_receive_bytes": ("counter", "Cumulative count of bytes received",
                                        ("interface",)),
    "container_network_transmit_bytes": ("counter", "Cumulative count of bytes transmitted",
                                         ("interface",)),
    "container_network_receive_packets": ("counter", "Cumulative count of packets received",
                                          ("interface",)),
    "container_network_transmit_packets": ("counter",
                                           "Cumulative count of packets transmitted",
                                           ("interface",)),
    "container_fs_reads_bytes": ("counter", "Cumulative count of bytes read", ("device",)),
    "container_fs_writes_bytes": ("counter", "Cumulative count of bytes written", ("device",)),
    "container_fs_reads": ("counter", "Cumulative count of reads completed", ("device",)),
    "container_fs_writes": ("counter", "Cumulative count of writes completed", ("device",)),
    "pallet_container_running": ("gauge", "1 if the container is running", ()),
    "pallet_container_restarts": ("counter", "Restarts by the container's restart policy", ()),
    "pallet_container_health_status": ("gauge", "Health status (1 for the current one)",
                                       ("status",)),
    "pallet_container_health_failing_streak": ("gauge", "Consecutive failed health probes",
                                               ()),
    "pallet_container_last_exit_code": ("gauge", "Exit code of the container's last exit", ()),
    "pallet_container_oom_killed": ("gauge", "1 if the last exit was an OOM kill", ()),
    "pallet_container_exited_unexpectedly": (
        "gauge", "1 if the container is down after a non-zero exit nobody asked for", ()),
}


class ContainerCollector(Collector):
    """Every container's series, read from the records and the cgroups per scrape."""

    def __init__(self, records: Callable[[], Iterable[Container]], stats: StatsService,
                 health: HealthPlugin) -> None:
        self.records = records
        self.stats = stats
        self.health = health

    def collect(self) -> Iterator[Metric]:
        fams = {name: _family(kind, name, text, extra)
                for name, (kind, text, extra) in _SERIES.items()}

        def add(name: str, base: list[str], value: float, *extra: str) -> None:
            fams[name].add_metric([*base, *extra], value)

        for c in self.records():
            cgroup = "/" + self.stats.cgroup_of(c).lstrip("/")
            base = [cgroup, c.name, c.config.Image or c.image_id]
            self._own(c, base, add)
            snap = self.stats.sample(c) if c.running else None
            if snap is not None:
                self._cgroup(c, snap, base, add)
        yield from fams.values()

    def _own(self, c: Container, base: list[str],
             add: Callable[..., None]) -> None:
        add("pallet_container_running", base, 1 if c.running else 0)
        add("pallet_container_restarts", base, c.restart_count)
        exited = c.status in (State.EXITED, State.DEAD)
        add("pallet_container_last_exit_code", base, c.exit_code)
        add("pallet_container_oom_killed", base, 1 if c.oom_killed else 0)
        add("pallet_container_exited_unexpectedly", base,
            1 if exited and c.exit_code != 0 and not c.manually_stopped else 0)
        hstate = self.health.state_of(c)
        if hstate is not None:
            for status in HEALTH:
                add("pallet_container_health_status", base,
                    1 if hstate.status == status else 0, status)
            add("pallet_container_health_failing_streak", base, hstate.failing_streak)
        quota, period = cpu_limit(c)
        if quota:
            add("container_spec_cpu_quota", base, quota)
            add("container_spec_cpu_period", base, period)

    def _cgroup(self, c: Container, snap: Snapshot, base: list[str],
                add: Callable[..., None]) -> None:
        cg = snap.cg
        add("container_cpu_usage_seconds", base, cg.cpu_total_ns / 1e9, "total")
        add("container_cpu_user_seconds", base, cg.cpu_user_ns / 1e9)
        add("container_cpu_system_seconds", base, cg.cpu_system_ns / 1e9)
        add("container_cpu_cfs_periods", base, cg.throttle_periods)
        add("container_cpu_cfs_throttled_periods", base, cg.throttled_periods)
        add("container_cpu_cfs_throttled_seconds", base, cg.throttled_ns / 1e9)
        ms = cg.memory_stat
        inactive = ms.get("total_inactive_file", ms.get("inactive_file", 0))
        add("container_memory_usage_bytes", base, cg.memory_usage)
        add("container_memory_working_set_bytes", base, max(0, cg.memory_usage - inactive))
        add("container_memory_max_usage_bytes", base, cg.memory_max_usage)
        add("container_memory_rss", base, ms.get("total_rss", ms.get("anon", 0)))
        add("container_memory_cache", base, ms.get("total_cache", ms.get("file", 0)))
        add("container_memory_failcnt", base, cg.memory_failcnt)
        add("container_oom_events", base, cg.oom_kills)
        add("container_spec_memory_limit_bytes", base, cg.memory_limit)
        add("container_processes", base, cg.pids_current)
        for ifname, n in snap.networks.items():
            add("container_network_receive_bytes", base, n.get("rx_bytes", 0), ifname)
            add("container_network_transmit_bytes", base, n.get("tx_bytes", 0), ifname)
            add("container_network_receive_packets", base, n.get("rx_packets", 0), ifname)
            add("container_network_transmit_packets", base, n.get("tx_packets", 0), ifname)
        for fam, entries in (("container_fs_%s_bytes", cg.blkio_bytes),
                             ("container_fs_%s", cg.blkio_ios)):
            for e in entries:
                op = {"read": "reads", "write": "writes"}.get(e.op.lower())
                if op is not None:
                    add(fam % op, base, e.value, f"{e.major}:{e.minor}")


class VolumeCollector(Collector):
    """Each volume's bytes against the size of the filesystem holding it."""

    def __init__(self, volumes: Callable[[], Iterable[VolumeUsage]]) -> None:
        self.volumes = volumes

    def collect(self) -> Iterator[Metric]:
        used = GaugeMetricFamily("pallet_volume_used_bytes", "Bytes used by the volume",
                                 labels=["volume"])
        size = GaugeMetricFamily("pallet_volume_fs_size_bytes",
                                 "Size of the filesystem holding the volume", labels=["volume"])
        avail = GaugeMetricFamily("pallet_volume_fs_avail_bytes",
                                  "Bytes available on the filesystem holding the volume",
                                  labels=["volume"])
        for v in self.volumes():
            used.add_metric([v.name], v.used)
            size.add_metric([v.name], v.fs_size)
            avail.add_metric([v.name], v.fs_avail)
        yield from (used, size, avail)


# Upper bounds (seconds) of the request latency histogram's buckets.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0, 30.0)


class EngineMetrics:
    """One daemon's registry: the collectors above and the API latency histogram.

    Routes are the templates (``/containers/{id}/json``), so the label set stays small;
    streaming endpoints (events, logs -f, attach) count their whole stream.
    """

    def __init__(self, *collectors: Collector,
                 buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series
        self.registry = CollectorRegistry(auto_describe=False)
        self.latency = Histogram("pallet_http_request_duration_seconds",
                                 "Engine API request latency by route",
                                 ["method", "route", "code"], buckets=buckets,
                                 registry=self.registry)
        for c in collectors:
            self.registry.register(c)

    def observe(self, method: str, route: str, code: int, seconds: float) -> None:
        self.latency.labels(method, route, str(code)).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
