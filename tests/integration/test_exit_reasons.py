"""Exit codes explained against a real palletd: a container killed by its memory limit,
one that segfaults and one stopped gracefully say 137/OOM, 139/SIGSEGV and 143/SIGTERM in
``State.ExitReason`` (Docker's fields unchanged) and in the die event's ``exitReason``."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def pallet(d: Any, *args: str) -> str:
    out = subprocess.run(["pallet", *args], env=d.env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def state(d: Any, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(pallet(d, "inspect", name))[0]["State"]
    return doc


def wait_exited(d: Any, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        s = state(d, name)
        if s["Status"] == "exited":
            return s
        time.sleep(0.2)
    raise AssertionError(f"{name} did not exit")


def test_exit_codes_explained(palletd: Any, busybox: str) -> None:
    tag = uuid.uuid4().hex[:6]
    names = {k: f"exit-{k}-{tag}" for k in ("oom", "segv", "term")}
    since = str(int(time.time()) - 1)
    try:
        # busybox's tail buffers its whole input: memory grows until the limit kills it
        pallet(palletd, "run", "-d", "--name", names["oom"], "--memory", "16m",
               "--memory-swap", "16m", busybox, "sh", "-c", "tail /dev/zero")
        # under --init the process is not PID 1, so a signal's default action kills it
        pallet(palletd, "run", "-d", "--init", "--name", names["segv"], busybox,
               "sh", "-c", "kill -SEGV $$")
        pallet(palletd, "run", "-d", "--init", "--name", names["term"], busybox,
               "sleep", "300")
        time.sleep(0.5)
        pallet(palletd, "stop", "-t", "10", names["term"])
        got = {k: wait_exited(palletd, n) for k, n in names.items()}
        assert (got["oom"]["ExitCode"], got["oom"]["OOMKilled"]) == (137, True)
        assert got["oom"]["ExitReason"].startswith("OOMKilled:")
        assert got["segv"]["ExitCode"] == 139
        assert got["segv"]["ExitReason"].startswith("SIGSEGV:")
        assert got["term"]["ExitCode"] == 143
        assert got["term"]["ExitReason"].startswith("SIGTERM:")
        shown = pallet(palletd, "inspect", "--format", "{{.State.ExitCode}} {{.State.ExitReason}}",
                       names["segv"])
        assert shown.startswith("139 SIGSEGV: segmentation fault")
        assert "Exited (143)" in pallet(palletd, "ps", "-a", "--filter", f"name={names['term']}")
        events = pallet(palletd, "events", "--since", since, "--until", f"{time.time():.3f}",
                        "--filter", "event=die", "--format", "{{json .}}")
        reasons = {e["Actor"]["Attributes"]["name"]: e["Actor"]["Attributes"]["exitReason"]
                   for e in map(json.loads, events.splitlines())}
        assert reasons[names["segv"]].startswith("SIGSEGV:")
        assert reasons[names["oom"]].startswith("OOMKilled:")
    finally:
        pallet(palletd, "rm", "-f", *names.values())
