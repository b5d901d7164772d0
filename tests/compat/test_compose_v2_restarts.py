"""Compose v2 projects across a reboot of palletd's host, and ``restart: on-unhealthy``.

Compose v2 writes ``com.docker.compose.depends_on`` on each container; after the "reboot"
(the daemon and its containers killed, the daemon started again) palletd brings the project
back in that order, waiting for ``service_healthy`` as ``up`` did.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compose"))

import compose_projects as cp

pytestmark = [pytest.mark.compat]

SLEEP = "trap 'exit 0' TERM; sleep 1000 & wait"
PROJECT = f"""services:
  web:
    image: busybox
    command: ["sh", "-c", "{SLEEP}"]
    restart: always
    depends_on:
      db:
        condition: service_healthy
  db:
    image: busybox
    command: ["sh", "-c", "rm -f /tmp/ready; sleep 2; touch /tmp/ready; {SLEEP}"]
    restart: always
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 200ms
      retries: 100
  flaky:
    image: busybox
    command: ["sh", "-c", "{SLEEP}"]
    restart: on-unhealthy
    healthcheck:
      test: ["CMD", "false"]
      interval: 200ms
      retries: 2
"""


def started(doc: dict[str, Any]) -> dt.datetime:
    head, _, frac = str(doc["State"]["StartedAt"]).rstrip("Z").partition(".")
    return dt.datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}")


def test_a_rebooted_project_comes_back_in_order_and_unhealthy_restarts(
        palletd_factory: Callable[[], Any], tmp_path: Path) -> None:
    d = palletd_factory()
    d.start()
    d.bootstrap("busybox")
    (tmp_path / "compose.yaml").write_text(PROJECT)

    def compose(*args: str) -> str:
        return cp.run([cp.compose_v2(), "-p", "boot", *args], env=d.env, cwd=tmp_path,
                      timeout=120).stdout

    def inspect(name: str) -> dict[str, Any]:
        doc: dict[str, Any] = d.json("GET", f"/containers/{name}/json")
        return doc

    compose("up", "-d")
    assert "db:service_healthy" in inspect("boot-web-1")["Config"]["Labels"][
        "com.docker.compose.depends_on"]
    # restart: on-unhealthy kills and restarts flaky, counted in RestartCount
    deadline = time.monotonic() + 30
    while inspect("boot-flaky-1")["RestartCount"] < 2:
        assert time.monotonic() < deadline, inspect("boot-flaky-1")["State"]
        time.sleep(0.2)
    d.crash_host()
    d.start()
    deadline = time.monotonic() + 60
    while not all(inspect(f"boot-{s}-1")["State"]["Running"] for s in ("web", "db")):
        assert time.monotonic() < deadline, d.log_tail(40)
        time.sleep(0.2)
    web, db = inspect("boot-web-1"), inspect("boot-db-1")
    assert db["State"]["Health"]["Status"] == "healthy"
    assert (started(web) - started(db)).total_seconds() >= 2.0, d.log_tail(60)
    rows = [json.loads(line) for line in compose("ps", "--format", "json").splitlines()]
    assert {r["Service"]: r["Health"] for r in rows}["db"] == "healthy"
    compose("down", "-t", "0")
