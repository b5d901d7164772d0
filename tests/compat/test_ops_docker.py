"""The docker CLI (v28) against palletd: stats, update, restart policies, health."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.compat


def _name() -> str:
    return "opsc-" + uuid.uuid4().hex[:8]


def _run_d(palletd: Any, *args: str) -> None:
    """Containers are made with pallet's CLI; the docker CLI reads and changes them."""
    res = palletd.pallet("run", "-d", *args)
    assert res.returncode == 0, res.stderr


def test_docker_stats_no_stream_shows_cpu_and_memory(docker: Any, palletd: Any) -> None:
    n = _name()
    _run_d(palletd, "--name", n, "-m", "64m", "busybox", "sh", "-c", "while :; do :; done")
    try:
        out = docker("stats", "--no-stream", "--format", "{{json .}}", n).stdout
        row = json.loads(out.splitlines()[0])
        assert row["Name"] == n
        assert float(row["CPUPerc"].rstrip("%")) > 50.0
        used, limit = (x.strip() for x in row["MemUsage"].split("/"))
        assert limit == "64MiB" and used != "0B"
        assert int(row["PIDs"]) >= 1
        table = docker("stats", "--no-stream").stdout
        assert "CPU %" in table and n in table
    finally:
        docker("rm", "-f", n, check=False)


def test_docker_update_and_restart_policy(docker: Any, palletd: Any) -> None:
    n = _name()
    _run_d(palletd, "--name", n, "busybox", "sleep", "100")
    try:
        docker("update", "--cpus", "0.5", "--memory", "96m", "--memory-swap", "192m",
               "--restart", "on-failure:3", n)
        hc = json.loads(docker("inspect", n).stdout)[0]["HostConfig"]
        assert (hc["NanoCpus"], hc["Memory"], hc["MemorySwap"]) == (
            500_000_000, 96 << 20, 192 << 20)
        assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    finally:
        docker("rm", "-f", n, check=False)


def test_docker_run_restart_on_failure_counts(docker: Any, palletd: Any) -> None:
    n = _name()
    _run_d(palletd, "--name", n, "--restart", "on-failure:1", "busybox", "sh", "-c",
           "sleep 0.2; exit 2")
    try:
        deadline = time.monotonic() + 15
        while True:
            doc = json.loads(docker("inspect", n).stdout)[0]
            if doc["RestartCount"] == 1 and doc["State"]["Status"] == "exited":
                break
            assert time.monotonic() < deadline, doc["State"]
            time.sleep(0.1)
        assert doc["State"]["ExitCode"] == 2
    finally:
        docker("rm", "-f", n, check=False)


def test_docker_health_flags_and_ps(docker: Any, palletd: Any) -> None:
    n = _name()
    _run_d(palletd, "--name", n, "--health-cmd", "true", "--health-interval", "200ms",
           "busybox", "sleep", "100")
    try:
        deadline = time.monotonic() + 10
        while "(healthy)" not in docker("ps", "--filter", f"name={n}").stdout:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        health = json.loads(docker("inspect", "--format", "{{json .State.Health}}", n).stdout)
        assert health["Status"] == "healthy" and health["Log"][-1]["ExitCode"] == 0
    finally:
        docker("rm", "-f", n, check=False)
