"""``pallet check`` against a real dockerd (Debian's docker.io): the checklist reads dockerd's
inspect documents as it reads palletd's. The guide's hardened ``docker run`` line passes
every security item; a bare ``busybox sleep`` fails the limits, user and capability items.
The dockerd is test_compose_dockerd's (the one answering on /var/run/docker.sock, or one
started for the module)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_compose_dockerd import dockerd  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.compat]

HARDENED = ["--read-only", "--user=10001", "--cap-drop=ALL", "--memory=512m",
            "--security-opt=no-new-privileges"]


@pytest.fixture
def names(dockerd: dict[str, str]) -> Iterator[list[str]]:  # noqa: F811
    made: list[str] = []
    yield made
    for n in made:
        subprocess.run(["pallet", "rm", "-f", n], env=dockerd, capture_output=True, timeout=60)


def _run(env: dict[str, str], names: list[str], *args: str) -> str:
    n = f"chk-{uuid.uuid4().hex[:8]}"
    names.append(n)
    subprocess.run(["pallet", "run", "-d", "--name", n, *args, "busybox", "sleep", "1000"],
                   env=env, check=True, capture_output=True, timeout=120)
    return n


def _check(env: dict[str, str], name: str) -> tuple[int, dict[str, Any]]:
    res = subprocess.run(["pallet", "check", "--format", "json", name], env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.stdout, res.stderr
    return res.returncode, json.loads(res.stdout)["reports"][0]


def test_check_on_dockerd(dockerd: dict[str, str], names: list[str]) -> None:  # noqa: F811
    code, report = _check(dockerd, _run(dockerd, names, *HARDENED))
    status = {i["id"]: i["status"] for i in report["items"]}
    assert {k: v for k, v in status.items() if k.startswith("security.") and v != "pass"} == {}
    assert status["limits.memory"] == "pass"
    code, report = _check(dockerd, _run(dockerd, names))
    status = {i["id"]: i["status"] for i in report["items"]}
    assert code == 1
    assert status["limits.memory"] == status["security.user"] == "fail"
    assert status["security.cap-drop"] == "fail"
