"""Overlay snapshotter on the real kernel: many layers, whiteouts through the mount."""

from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pallet.snapshots.apply import apply_layer
from pallet.snapshots.mount import is_mounted, mount_all, unmount
from pallet.snapshots.overlay import OverlaySnapshotter

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for overlayfs"),
]


@pytest.fixture
def work() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="pallet-imgs-snap-"))
    mounted: list[Path] = []
    try:
        yield d
    finally:
        for m in sorted(d.glob("**/merged*"), reverse=True):
            if is_mounted(m):
                unmount(m)
                mounted.append(m)
        shutil.rmtree(d, ignore_errors=True)


def _tar(entries: list[tuple[str, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in entries:
            ti = tarfile.TarInfo(name)
            if data is None:
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                tf.addfile(ti)
            else:
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def _chain(s: OverlaySnapshotter, d: Path, n: int) -> str:
    parent: str | None = None
    for i in range(n):
        p = d / f"l{i}.tar"
        p.write_bytes(_tar([(f"layer{i}", str(i).encode())]))
        parent = apply_layer(s, parent, p)
    assert parent is not None
    return parent


@pytest.mark.parametrize("n", [100, 150])
def test_many_layers_mount(work: Path, n: int) -> None:
    s = OverlaySnapshotter(work / "snapshots")
    top = _chain(s, work, n)
    ms = s.prepare("ctr", top)
    opts = ms[0].options
    assert opts[0].startswith("lowerdir=") and len(opts[0].split(":")) == n
    assert {"index=off", "redirect_dir=off", "metacopy=off"} <= set(opts)
    # lowerdir top-most first
    assert opts[0].split(":")[0].endswith((s.root / "s" / s.stat(top).id / "link").read_text())
    merged = work / "merged"
    merged.mkdir()
    mount_all(ms, merged)
    try:
        assert len(os.listdir(merged)) == n
        assert (merged / "layer0").read_text() == "0"
        assert (merged / f"layer{n - 1}").read_text() == str(n - 1)
        (merged / "new").write_text("upper")
    finally:
        unmount(merged)
    assert not is_mounted(merged)
    assert (s.root / "s" / s.stat("ctr").id / "diff/new").read_text() == "upper"
    s.remove("ctr")
    for link in (s.root / "l").iterdir():
        assert link.resolve().is_dir()


def test_whiteouts_and_opaque_dirs_through_overlay(work: Path) -> None:
    s = OverlaySnapshotter(work / "snapshots")
    (work / "a.tar").write_bytes(
        _tar(
            [
                ("d", None),
                ("d/keep", b"k"),
                ("d/gone", b"g"),
                ("o", None),
                ("o/old", b"o"),
                ("rm", None),
                ("rm/x", b"x"),
            ]
        )
    )
    (work / "b.tar").write_bytes(
        _tar(
            [
                ("d/.wh.gone", b""),
                ("o", None),
                ("o/.wh..wh..opq", b""),
                ("o/new", b"n"),
                (".wh.rm", b""),
            ]
        )
    )
    c1 = apply_layer(s, None, work / "a.tar")
    c2 = apply_layer(s, c1, work / "b.tar")
    diff = s.root / "s" / s.stat(c2).id / "diff"
    assert stat.S_ISCHR((diff / "d/gone").lstat().st_mode)
    assert os.getxattr(diff / "o", "trusted.overlay.opaque") == b"y"
    for kind, ms in (("view", s.view("v", c2)), ("active", s.prepare("c", c2))):
        merged = work / f"merged-{kind}"
        merged.mkdir()
        mount_all(ms, merged)
        try:
            assert sorted(os.listdir(merged)) == ["d", "o"]
            assert sorted(os.listdir(merged / "d")) == ["keep"]
            assert sorted(os.listdir(merged / "o")) == ["new"]
        finally:
            unmount(merged)


def test_single_layer_view_and_scratch_container(work: Path) -> None:
    s = OverlaySnapshotter(work / "snapshots")
    (work / "a.tar").write_bytes(_tar([("f", b"1")]))
    c1 = apply_layer(s, None, work / "a.tar")
    merged = work / "merged"
    merged.mkdir()
    mount_all(s.view("v", c1), merged)
    try:
        assert (merged / "f").read_text() == "1"
        with pytest.raises(OSError):
            (merged / "g").write_text("x")
    finally:
        unmount(merged)
    mount_all(s.prepare("scratch", None), merged)
    try:
        assert os.listdir(merged) == []
    finally:
        unmount(merged)
