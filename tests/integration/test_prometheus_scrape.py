"""A real Prometheus (Debian's package, on 127.0.0.1 with a temporary config) scrapes a
real palletd through ``metrics-addr`` and answers queries for a busy container's CPU and
memory under cAdvisor's metric names."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pallet.testing.procs import stop
from pallet.testing.registry import free_port

pytestmark = pytest.mark.integration

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


def query(port: int, expr: str) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=10) as resp:
        doc = json.load(resp)
    assert doc["status"] == "success", doc
    result: list[dict[str, Any]] = doc["data"]["result"]
    return result


def wait_for(port: int, expr: str, timeout: float = 60.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = query(port, expr)
        except OSError:
            result = []
        if result:
            return result
        time.sleep(1)
    raise AssertionError(f"prometheus never answered {expr!r}")


def test_prometheus_scrapes_cadvisor_series(palletd_factory: Callable[[], Any],
                                            tmp_path: Path) -> None:
    d = palletd_factory()
    metrics_port, prom_port = free_port(), free_port()
    d.root.mkdir(parents=True, exist_ok=True)
    (d.root / "daemon.json").write_text(
        json.dumps({"metrics-addr": f"127.0.0.1:{metrics_port}"}))
    d.start()
    d.bootstrap("busybox")
    name = f"busy-{uuid.uuid4().hex[:8]}"
    subprocess.run(["pallet", "run", "-d", "--name", name, "--memory", "64m", "--cpus", "0.5",
                    "-v", f"{name}-data:/data", "busybox", "sh", "-c",
                    "head -c 100000 /dev/zero > /data/f; while :; do :; done"],
                   env=d.env, check=True, capture_output=True, timeout=60)
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: pallet\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{metrics_port}']}}]\n")
    prom = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{prom_port}"],
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "prometheus.log").open("wb"))
    try:
        cpu = wait_for(prom_port,
                       f'rate(container_cpu_usage_seconds_total{{name="{name}"}}[5s]) > 0.1')
        assert cpu[0]["metric"]["cpu"] == "total"
        assert cpu[0]["metric"]["image"] == "busybox"
        # --cpus 0.5: the quota is half the period, and a spinning loop uses about that
        assert float(cpu[0]["value"][1]) < 0.75
        limit = wait_for(prom_port,
                         f'container_spec_cpu_quota{{name="{name}"}}'
                         f' / container_spec_cpu_period{{name="{name}"}}')
        assert float(limit[0]["value"][1]) == 0.5
        mem = wait_for(prom_port, f'container_memory_working_set_bytes{{name="{name}"}} > 0')
        assert 0 < float(mem[0]["value"][1]) < 64 * 1024 * 1024
        lim = wait_for(prom_port, f'container_spec_memory_limit_bytes{{name="{name}"}}')
        assert float(lim[0]["value"][1]) == 64 * 1024 * 1024
        running = wait_for(prom_port, f'pallet_container_running{{name="{name}"}}')
        assert running[0]["value"][1] == "1"
        # the volume against its filesystem, and the engine's own API latency
        wait_for(prom_port, f'pallet_volume_used_bytes{{volume="{name}-data"}} >= 100000')
        wait_for(prom_port, f'pallet_volume_fs_size_bytes{{volume="{name}-data"}}'
                            f' > pallet_volume_fs_avail_bytes{{volume="{name}-data"}}')
        wait_for(prom_port, 'pallet_http_request_duration_seconds_count'
                            '{route="/containers/create",code="201"} >= 1')
    finally:
        stop(prom)
        subprocess.run(["pallet", "rm", "-f", name], env=d.env, capture_output=True,
                       timeout=60)
        subprocess.run(["pallet", "volume", "rm", f"{name}-data"], env=d.env,
                       capture_output=True, timeout=60)
