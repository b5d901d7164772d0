"""secure_state: pallet's own state loses its group and other bits; container data
(layer contents, volume data, the bind-mounted /etc files) keeps its modes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pallet.errors import PalletError
from pallet.system.paths import Paths
from pallet.system.private import secure_state


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.lstat().st_mode)


def _file(p: Path, mode: int) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("x")
    os.chmod(p, mode)
    return p


def test_older_store_fixed_and_container_data_kept(tmp_path: Path) -> None:
    paths = Paths(root=tmp_path / "root", run=tmp_path / "run")
    own = [
        _file(paths.db, 0o644), _file(paths.root / "pallet.db-wal", 0o644),
        _file(paths.content / "blobs" / "sha256" / ("a" * 64), 0o444),
        _file(paths.containers / "c1" / "config.json", 0o644),
        _file(paths.snapshots / "s" / "x" / "meta.json", 0o644),
    ]
    data = [
        _file(paths.snapshots / "s" / "x" / "diff" / "bin" / "sh", 0o755),
        _file(paths.volumes / "v" / "_data" / "f", 0o644),
        _file(paths.containers / "c1" / "hosts", 0o644),
    ]
    for d in (paths.root, paths.content, paths.containers / "c1", paths.volumes / "v"):
        os.chmod(d, 0o755)
    os.chmod(paths.volumes / "v" / "_data", 0o777)
    _file(paths.run / "exits" / "c1", 0o644)
    _file(paths.run / "palletd.lock", 0o644)

    secure_state(paths)

    assert _mode(paths.root) == 0o710 and _mode(paths.run) == 0o710
    assert {str(p): _mode(p) & 0o077 for p in own} == {str(p): 0 for p in own}
    assert [_mode(p) for p in data] == [0o755, 0o644, 0o644]
    assert _mode(paths.volumes / "v" / "_data") == 0o777
    assert _mode(paths.volumes / "v") == 0o700 and _mode(paths.content) == 0o700
    assert _mode(paths.run / "exits") == 0o700


def test_fresh_store_created_private(tmp_path: Path) -> None:
    paths = Paths(root=tmp_path / "root", run=tmp_path / "run")
    secure_state(paths)
    assert _mode(paths.root) == 0o710 and _mode(paths.db) == 0o600
    assert {_mode(paths.root / n) for n in ("content", "snapshots", "containers",
                                             "volumes", "tmp")} == {0o700}


def test_a_directory_that_is_not_pallets_is_left_alone(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    _file(shared / "someone-elses", 0o644)
    os.chmod(shared, 0o1777)
    with pytest.raises(PalletError, match="give pallet a directory of its own"):
        secure_state(Paths(root=shared, run=tmp_path / "run"))
    assert _mode(shared) == 0o1777
    with pytest.raises(PalletError):
        secure_state(Paths(root=tmp_path / "root", run=shared))
    assert _mode(shared) == 0o1777
    _file(tmp_path / "configured" / "daemon.json", 0o644)  # a config before the first start
    secure_state(Paths(root=tmp_path / "configured", run=tmp_path / "run"))
    assert _mode(tmp_path / "configured") == 0o710
