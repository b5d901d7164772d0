"""Prometheus text exposition of per-container metrics (``GET /metrics``).

CPU seconds, memory (usage less inactive file cache, as ``docker stats``),
network and block I/O bytes, PIDs, restart counts and health, labelled with the
container's id and name. Read from the cgroups on each scrape.
"""

from __future__ import annotations

from typing import Any

from pallet.engine.containers import ContainerService
from pallet.engine.healthmon import HealthPlugin
from pallet.engine.lifecycle import State
from pallet.engine.stats import StatsService

_HELP = {
    "pallet_container_running": ("gauge", "1 if the container is running"),
    "pallet_container_restarts_total": ("counter", "restarts by the restart policy"),
    "pallet_container_cpu_seconds_total": ("counter", "CPU time used"),
    "pallet_container_memory_bytes": ("gauge", "memory used, less inactive file cache"),
    "pallet_container_memory_limit_bytes": ("gauge", "memory limit (0: none)"),
    "pallet_container_pids": ("gauge", "processes and threads"),
    "pallet_container_network_receive_bytes_total": ("counter", "bytes received"),
    "pallet_container_network_transmit_bytes_total": ("counter", "bytes sent"),
    "pallet_container_blkio_read_bytes_total": ("counter", "bytes read from block devices"),
    "pallet_container_blkio_write_bytes_total": ("counter", "bytes written to block devices"),
    "pallet_container_health": ("gauge", "health status (1 for the current one)"),
    "pallet_health_probes_total": ("counter", "health probes run by this daemon"),
}


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_metrics(containers: ContainerService, stats: StatsService,
                   health: HealthPlugin) -> str:
    samples: dict[str, list[str]] = {name: [] for name in _HELP}

    def add(name: str, labels: dict[str, str], value: float) -> None:
        text = ",".join(f'{k}="{_esc(v)}"' for k, v in labels.items())
        samples[name].append(f"{name}{{{text}}} {value:g}")

    for c in containers.store.all():
        base = {"id": c.id, "name": c.name}
        add("pallet_container_running", base, 1 if c.status == State.RUNNING else 0)
        add("pallet_container_restarts_total", base, c.restart_count)
        hstate = health.state_of(c)
        if hstate is not None:
            for status in ("starting", "healthy", "unhealthy"):
                add("pallet_container_health", {**base, "status": status},
                    1 if hstate.status == status else 0)
        if not c.running:
            continue
        snap = stats.sample(c)
        if snap is None:
            continue
        cg = snap.cg
        add("pallet_container_cpu_seconds_total", base, cg.cpu_total_ns / 1e9)
        inactive = cg.memory_stat.get("total_inactive_file", cg.memory_stat.get("inactive_file", 0))
        add("pallet_container_memory_bytes", base, max(0, cg.memory_usage - inactive))
        add("pallet_container_memory_limit_bytes", base, cg.memory_limit)
        add("pallet_container_pids", base, cg.pids_current)
        for ifname, counters in snap.networks.items():
            labels: dict[str, Any] = {**base, "interface": ifname}
            add("pallet_container_network_receive_bytes_total", labels, counters["rx_bytes"])
            add("pallet_container_network_transmit_bytes_total", labels, counters["tx_bytes"])
        read = sum(e.value for e in cg.blkio_bytes if e.op.lower() == "read")
        write = sum(e.value for e in cg.blkio_bytes if e.op.lower() == "write")
        add("pallet_container_blkio_read_bytes_total", base, read)
        add("pallet_container_blkio_write_bytes_total", base, write)
    samples["pallet_health_probes_total"].append(
        f"pallet_health_probes_total {health.probes_run}")
    out = []
    for name, lines in samples.items():
        kind, text = _HELP[name]
        out.append(f"# HELP {name} {text}")
        out.append(f"# TYPE {name} {kind}")
        out.extend(lines)
    return "\n".join(out) + "\n"


# Upper bounds (seconds) of the request latency histogram's buckets.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0, 30.0)
_LATENCY = "pallet_http_request_duration_seconds"


class RequestLatency:
    """The engine's own API latency: a Prometheus histogram per (method, route, code).

    Routes are the templates (``/containers/{id}/json``), so the label set stays small.
    Streaming endpoints (events, logs -f, attach) count their whole stream.
    """

    def __init__(self, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.buckets = buckets
        # key -> [per-bucket counts..., count, sum]
        self._series: dict[tuple[str, str, str], list[float]] = {}

    def observe(self, method: str, route: str, code: int, seconds: float) -> None:
        key = (method, route, str(code))
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = [0.0] * (len(self.buckets) + 2)
        for i, bound in enumerate(self.buckets):
            if seconds <= bound:
                series[i] += 1
        series[-2] += 1
        series[-1] += seconds

    def render(self) -> str:
        out = [f"# HELP {_LATENCY} Engine API request latency by route",
               f"# TYPE {_LATENCY} histogram"]
        for (method, route, code), s in sorted(self._series.items()):
            base = f'method="{_esc(method)}",route="{_esc(route)}",code="{code}"'
            for bound, n in zip(self.buckets, s, strict=False):
                out.append(f'{_LATENCY}_bucket{{{base},le="{bound:g}"}} {n:g}')
            out.append(f'{_LATENCY}_bucket{{{base},le="+Inf"}} {s[-2]:g}')
            out.append(f"{_LATENCY}_sum{{{base}}} {s[-1]:.6f}")
            out.append(f"{_LATENCY}_count{{{base}}} {s[-2]:g}")
        return "\n".join(out) + "\n"
