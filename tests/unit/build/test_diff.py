"""Upper dir -> layer tar, and pruning of runtime mount points (plain dirs, no overlay)."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

from pallet.snapshots.diff import prune_mountpoints, write_layer


def _layer(upper: Path, **kw: object) -> tarfile.TarFile:
    buf = io.BytesIO()
    write_layer(upper, buf, **kw)  # type: ignore[arg-type]
    buf.seek(0)
    return tarfile.open(fileobj=buf)


def test_files_dirs_links_hardlinks(tmp_path: Path) -> None:
    up = tmp_path / "up"
    (up / "d").mkdir(parents=True)
    (up / "d" / "f").write_text("data")
    os.link(up / "d" / "f", up / "d" / "g")
    os.symlink("f", up / "d" / "l")
    os.mkfifo(up / "p")
    tf = _layer(up, epoch=100)
    members = {m.name: m for m in tf.getmembers()}
    assert list(members) == ["d", "d/f", "d/g", "d/l", "p"]
    assert members["d/g"].islnk() and members["d/g"].linkname == "d/f"
    assert members["d/l"].issym() and members["d/l"].linkname == "f"
    assert members["p"].isfifo()
    assert all(m.mtime <= 100 and m.uname == "" for m in members.values())


def test_reproducible(tmp_path: Path) -> None:
    up = tmp_path / "up"
    up.mkdir()
    (up / "f").write_text("x")
    a, b = io.BytesIO(), io.BytesIO()
    write_layer(up, a, epoch=0)
    os.utime(up / "f", (5, 5))
    write_layer(up, b, epoch=0)
    assert a.getvalue() == b.getvalue()


def test_prune_mountpoints(tmp_path: Path) -> None:
    lower = tmp_path / "lower"
    (lower / "etc").mkdir(parents=True)
    (lower / "etc" / "hosts").write_text("x")
    up = tmp_path / "up"
    (up / "etc").mkdir(parents=True)
    os.chmod(up / "etc", os.stat(lower / "etc").st_mode & 0o7777)
    (up / "etc" / "hostname").write_text("")  # made by the runtime to mount on
    (up / "etc" / "kept").write_text("real change")
    (up / "run" / "secrets").mkdir(parents=True)
    (up / "run" / "secrets" / "tok").write_text("")
    (up / "cache").mkdir()
    (up / "data").mkdir()
    (up / "data" / "file").write_text("y")
    removed = prune_mountpoints(
        up, [lower], ["/etc/hostname", "/run/secrets/tok", "/cache", "/data", "/proc"])
    assert sorted(os.listdir(up)) == ["data", "etc"]
    assert sorted(os.listdir(up / "etc")) == ["kept"]
    assert "run" in removed and "cache" in removed
