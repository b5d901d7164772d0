"""The guide's alerts as Prometheus alerting rules, and a Grafana dashboard, over the series
palletd exposes on ``metrics-addr`` (cAdvisor's names plus ``pallet_*``).

The Observability Checklist's alerts, each with its threshold and duration: critical
when a container restarts more than 5 times in 10 minutes, uses more than 90% of its
memory limit for 5 minutes, exits unexpectedly, or fails its health check for 2
minutes; warning when it uses more than 80% of its CPU limit for 10 minutes, a
volume's disk is more than 80% full, it restarts more than twice in 30 minutes, or its
health check starts failing. Every alert is labelled ``severity`` and (but the volume's)
``container``. The thresholds are strict: an alert fires above its threshold, never at
it. ``pallet metrics rules`` and ``pallet metrics dashboard`` print these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import yaml

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True)
class Alert:
    name: str
    severity: str  # critical | warning
    expr: str
    duration: str  # the rule's "for" ("0m": at once)
    summary: str  # may use {{ $labels.name }} and {{ $labels.volume }}
    per_container: bool = True


_WORKING_SET_RATIO = ("container_memory_working_set_bytes"
                      " / (container_spec_memory_limit_bytes > 0)")
_CPU_RATIO = ("sum without (cpu) (rate(container_cpu_usage_seconds_total[5m]))"
              " / (container_spec_cpu_quota / container_spec_cpu_period)")
_VOLUME_RATIO = ("(pallet_volume_fs_size_bytes - pallet_volume_fs_avail_bytes)"
                 " / pallet_volume_fs_size_bytes")

ALERTS = (
    Alert("ContainerRestartingOften", "critical",
          "increase(pallet_container_restarts_total[10m]) > 5", "0m",
          "{{ $labels.name }} restarted more than 5 times in 10 minutes"),
    Alert("ContainerMemoryNearLimit", "critical", f"{_WORKING_SET_RATIO} > 0.9", "5m",
          "{{ $labels.name }} uses more than 90% of its memory limit"),
    Alert("ContainerExitedUnexpectedly", "critical",
          "pallet_container_exited_unexpectedly == 1", "0m",
          "{{ $labels.name }} exited with a non-zero code nobody asked for"),
    Alert("ContainerHealthCheckFailing", "critical",
          'pallet_container_health_status{status="unhealthy"} == 1', "2m",
          "{{ $labels.name }} has been unhealthy for 2 minutes"),
    Alert("ContainerCpuNearLimit", "warning", f"{_CPU_RATIO} > 0.8", "10m",
          "{{ $labels.name }} uses more than 80% of its CPU limit"),
    Alert("VolumeDiskUsageHigh", "warning", f"{_VOLUME_RATIO} > 0.8", "0m",
          "the disk of volume {{ $labels.volume }} is more than 80% full",
          per_container=False),
    Alert("ContainerRestarting", "warning",
          "increase(pallet_container_restarts_total[30m]) > 2", "0m",
          "{{ $labels.name }} restarted more than twice in 30 minutes"),
    Alert("ContainerHealthDegraded", "warning",
          "pallet_container_health_failing_streak > 0 unless on (id, name, image)"
          ' pallet_container_health_status{status="unhealthy"} == 1', "0m",
          "{{ $labels.name }}'s health check is failing"),
)


def rules_doc() -> dict[str, Any]:
    """The rule file: one group per severity."""
    groups = []
    for severity in ("critical", "warning"):
        rules = []
        for a in ALERTS:
            if a.severity != severity:
                continue
            labels = {"severity": a.severity}
            if a.per_container:
                labels["container"] = "{{ $labels.name }}"
            rule: dict[str, Any] = {"alert": a.name, "expr": a.expr}
            if a.duration != "0m":
                rule["for"] = a.duration
            rule["labels"] = labels
            rule["annotations"] = {"summary": a.summary}
            rules.append(rule)
        groups.append({"name": f"pallet-containers-{severity}", "rules": rules})
    return {"groups": groups}


def rules_yaml() -> str:
    return yaml.safe_dump(rules_doc(), sort_keys=False, width=1000)


def _panel(pid: int, title: str, unit: str, targets: list[tuple[str, str]],
           x: int, y: int) -> dict[str, Any]:
    return {
        "id": pid, "type": "timeseries", "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [{"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend}
                    for i, (expr, legend) in enumerate(targets)],
    }


_SEL = '{name=~"$container"}'
_PANELS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("CPU (cores)", "short", [
        (f"sum without (cpu) (rate(container_cpu_usage_seconds_total{_SEL}[1m]))", "{{name}}"),
        (f"container_spec_cpu_quota{_SEL} / container_spec_cpu_period{_SEL}",
         "{{name}} limit")]),
    ("Memory working set", "bytes", [
        (f"container_memory_working_set_bytes{_SEL}", "{{name}}"),
        (f"container_spec_memory_limit_bytes{_SEL} > 0", "{{name}} limit")]),
    ("Network", "Bps", [
        (f"rate(container_network_receive_bytes_total{_SEL}[1m])", "{{name}} rx {{interface}}"),
        (f"rate(container_network_transmit_bytes_total{_SEL}[1m])",
         "{{name}} tx {{interface}}")]),
    ("Block I/O", "Bps", [
        (f"rate(container_fs_reads_bytes_total{_SEL}[1m])", "{{name}} read"),
        (f"rate(container_fs_writes_bytes_total{_SEL}[1m])", "{{name}} write")]),
    ("Restarts (30m)", "short", [
        (f"increase(pallet_container_restarts_total{_SEL}[30m])", "{{name}}")]),
    ("Health", "short", [
        ('pallet_container_health_status{name=~"$container",status="unhealthy"}',
         "{{name}} unhealthy"),
        (f"pallet_container_health_failing_streak{_SEL}", "{{name}} failing streak")]),
    ("Volume disk used", "percentunit", [(_VOLUME_RATIO, "{{volume}}")]),
    ("Engine API latency", "s", [
        (f"histogram_quantile({q}, sum by (le) "
         "(rate(pallet_http_request_duration_seconds_bucket[5m])))", f"p{int(q * 100)}")
        for q in (0.5, 0.95, 0.99)]),
]


def dashboard_doc() -> dict[str, Any]:
    """A Grafana dashboard (schema 39) with a data source and a container variable."""
    panels = [_panel(i + 1, title, unit, targets, 12 * (i % 2), 8 * (i // 2))
              for i, (title, unit, targets) in enumerate(_PANELS)]
    return {
        "title": "pallet containers", "uid": "pallet-containers", "schemaVersion": 39,
        "version": 1, "editable": True, "time": {"from": "now-1h", "to": "now"},
        "refresh": "30s", "tags": ["pallet", "containers"],
        "templating": {"list": [
            {"name": "datasource", "type": "datasource", "query": "prometheus",
             "label": "Data source"},
            {"name": "container", "type": "query", "label": "Container",
             "datasource": {"type": "prometheus", "uid": "${datasource}"},
             "query": "label_values(pallet_container_running, name)",
             "includeAll": True, "multi": True, "allValue": ".*", "refresh": 2},
        ]},
        "panels": panels,
    }


def dashboard_json() -> str:
    return json.dumps(dashboard_doc(), indent=2)
