"""A failed build step leaves nothing: the RUN container of a scratch stage (its root is a
bind mount, which Path.is_mount cannot see) is unmounted and its directory removed."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from pallet.testing.fake_state import tar_of

pytestmark = pytest.mark.integration


def _context(dockerfile: str) -> bytes:
    return tar_of("Dockerfile", dockerfile.encode())


def _mounts_under(path: Path) -> list[str]:
    out = subprocess.run(["findmnt", "-rn", "-o", "TARGET"], capture_output=True, text=True)
    return [m for m in out.stdout.splitlines() if m.startswith(str(path) + "/")]


def test_failed_step_of_a_scratch_stage_leaves_no_mount(palletd: Any, busybox: str) -> None:
    containers = Path(palletd.root) / "containers"
    before = sorted(p.name for p in containers.iterdir())
    status, raw = palletd.request("POST", "/build?t=scratch-run-fails&rm=1&forcerm=1",
                                  _context("FROM scratch\nRUN true\n"),
                                  headers={"Content-Type": "application/x-tar"})
    assert status == 200 and b"returned a non-zero code: 127" in raw
    assert sorted(p.name for p in containers.iterdir()) == before
    assert [m for m in _mounts_under(containers) if m.split("/")[-2] not in before] == []
