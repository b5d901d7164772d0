"""Atomic writes (system/atomic): whole or not at all, durable or not."""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

import pytest

from pallet.system.atomic import atomic_writer, write_json


@pytest.mark.parametrize("durable", [True, False])
def test_replaces_whole_and_fsyncs_only_when_durable(tmp_path: Path, durable: bool) -> None:
    target = tmp_path / "f.json"
    target.write_text("old")
    with mock.patch("os.fsync", wraps=os.fsync) as fsync:
        write_json(target, {"a": 1}, mode=0o600, durable=durable)
    assert target.read_text() == '{"a":1}' and (target.stat().st_mode & 0o777) == 0o600
    assert fsync.called is durable
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_a_failed_write_keeps_the_old_content(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_writer(target, durable=False) as f:
        f.write(b"half")
        raise RuntimeError("cut short")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["f"]
