"""``pallet metrics rules`` through the real promtool: the file checks, and each alert of
the guide fires above its threshold (after its duration) and stays quiet at it; the
dashboard and the rules only name series palletd exposes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pallet.cli.app import main
from pallet.cli.monitoring import ALERTS, dashboard_doc, rules_yaml
from pallet.engine.metrics import _SERIES

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
LABELS = 'id="/pallet/{n}",name="{n}",image="busybox"'


def series(metric: str, name: str, values: str, **extra: str) -> dict[str, str]:
    labels = LABELS.format(n=name) + "".join(f',{k}="{v}"' for k, v in extra.items())
    return {"series": f"{metric}{{{labels}}}", "values": values}


def fired(alert: str, name: str, **extra: str) -> dict[str, Any]:
    a = next(a for a in ALERTS if a.name == alert)
    labels = {"severity": a.severity, **extra}
    if a.per_container:
        labels.update(id=f"/pallet/{name}", name=name, image="busybox", container=name)
    summary = a.summary.replace("{{ $labels.name }}", name)
    summary = summary.replace("{{ $labels.volume }}", extra.get("volume", ""))
    return {"exp_labels": labels, "exp_annotations": {"summary": summary}}


def case(alert: str, inputs: list[dict[str, str]], evals: list[tuple[str, list[Any]]]
         ) -> dict[str, Any]:
    return {"interval": "1m", "input_series": inputs,
            "alert_rule_test": [{"eval_time": t, "alertname": alert, "exp_alerts": exp}
                                 for t, exp in evals]}


# "hot" crosses the threshold, "edge" sits exactly at it
CASES = [
    case("ContainerRestartingOften",
         [series("pallet_container_restarts_total", "hot", "0x5 6x10"),
          series("pallet_container_restarts_total", "edge", "0x5 5x10")],
         [("10m", [fired("ContainerRestartingOften", "hot")])]),
    case("ContainerRestarting",
         [series("pallet_container_restarts_total", "hot", "0x10 3x25"),
          series("pallet_container_restarts_total", "edge", "0x10 2x25")],
         [("30m", [fired("ContainerRestarting", "hot")])]),
    case("ContainerMemoryNearLimit",
         [series("container_memory_working_set_bytes", "hot", "91x20"),
          series("container_spec_memory_limit_bytes", "hot", "100x20"),
          series("container_memory_working_set_bytes", "edge", "90x20"),
          series("container_spec_memory_limit_bytes", "edge", "100x20")],
         [("4m", []), ("5m", [fired("ContainerMemoryNearLimit", "hot")])]),
    case("ContainerExitedUnexpectedly",
         [series("pallet_container_exited_unexpectedly", "hot", "1x5"),
          series("pallet_container_exited_unexpectedly", "edge", "0x5")],
         [("1m", [fired("ContainerExitedUnexpectedly", "hot")])]),
    case("ContainerHealthCheckFailing",
         [series("pallet_container_health_status", "hot", "1x5", status="unhealthy"),
          series("pallet_container_health_status", "edge", "0x5", status="unhealthy")],
         [("1m", []), ("2m", [fired("ContainerHealthCheckFailing", "hot",
                                    status="unhealthy")])]),
    case("ContainerCpuNearLimit",
         # the limit is half a CPU: 25 CPU-seconds a minute is 83%, 24 exactly 80%
         [series("container_cpu_usage_seconds_total", "hot", "1000+25x30", cpu="total"),
          series("container_spec_cpu_quota", "hot", "50000x30"),
          series("container_spec_cpu_period", "hot", "100000x30"),
          series("container_cpu_usage_seconds_total", "edge", "1000+24x30", cpu="total"),
          series("container_spec_cpu_quota", "edge", "50000x30"),
          series("container_spec_cpu_period", "edge", "100000x30")],
         [("9m", []), ("16m", [fired("ContainerCpuNearLimit", "hot")])]),
    case("VolumeDiskUsageHigh",
         [{"series": 'pallet_volume_fs_size_bytes{volume="full"}', "values": "100x5"},
          {"series": 'pallet_volume_fs_avail_bytes{volume="full"}', "values": "19x5"},
          {"series": 'pallet_volume_fs_size_bytes{volume="edge"}', "values": "100x5"},
          {"series": 'pallet_volume_fs_avail_bytes{volume="edge"}', "values": "20x5"}],
         [("1m", [fired("VolumeDiskUsageHigh", "", volume="full")])]),
    case("ContainerHealthDegraded",
         [series("pallet_container_health_failing_streak", "hot", "1x5"),
          series("pallet_container_health_status", "hot", "0x5", status="unhealthy"),
          series("pallet_container_health_failing_streak", "edge", "0x5"),
          series("pallet_container_health_status", "edge", "0x5", status="unhealthy"),
          # already unhealthy: the critical alert says so, not this one
          series("pallet_container_health_failing_streak", "down", "3x5"),
          series("pallet_container_health_status", "down", "1x5", status="unhealthy")],
         [("1m", [fired("ContainerHealthDegraded", "hot")])]),
]


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yml"
    path.write_text(rules_yaml())
    return path


def test_promtool_checks_the_printed_rules(rules_file: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrics", "rules"]) == 0
    printed = capsys.readouterr().out
    assert printed == rules_file.read_text()
    out = subprocess.run([PROMTOOL, "check", "rules", "/dev/stdin"], input=printed,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in out.stdout


def test_every_alert_fires_above_its_threshold_and_not_at_it(rules_file: Path) -> None:
    assert sorted(c["alert_rule_test"][0]["alertname"] for c in CASES) == \
        sorted(a.name for a in ALERTS)
    tests = rules_file.parent / "tests.yml"
    tests.write_text(yaml.safe_dump({"rule_files": [rules_file.name],
                                     "evaluation_interval": "1m", "tests": CASES}))
    out = subprocess.run([PROMTOOL, "test", "rules", str(tests)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def test_rules_and_dashboard_name_only_exposed_series() -> None:
    exposed = {n + ("_total" if kind == "counter" else "") for n, (kind, _, _) in _SERIES.items()}
    exposed |= {"pallet_volume_fs_size_bytes", "pallet_volume_fs_avail_bytes",
                "pallet_http_request_duration_seconds_bucket"}
    text = rules_yaml() + json.dumps(dashboard_doc())
    named = set(re.findall(r"\b(?:container|pallet)_[a-z_]+", text))
    named -= {"pallet_containers", "pallet_container"}  # the dashboard's uid, group names
    assert named <= exposed, named - exposed
