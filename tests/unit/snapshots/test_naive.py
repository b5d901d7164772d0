from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from pallet.errors import Conflict, DataCorruption, InvalidArgument, NotFound
from pallet.oci.digest import sha256_bytes
from pallet.snapshots.apply import apply_layer, apply_layer_result
from pallet.snapshots.mount import Mount
from pallet.snapshots.naive import NaiveSnapshotter


def layer(tmp: Path, name: str, files: dict[str, bytes]) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for n, data in files.items():
            ti = tarfile.TarInfo(n)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    p = tmp / name
    p.write_bytes(buf.getvalue())
    return p


def test_prepare_commit_view_remove(tmp_path: Path) -> None:
    s = NaiveSnapshotter(tmp_path / "snaps")
    ms = s.prepare("a", None)
    assert ms == [Mount("bind", str(s.path("a")), ("rw", "rbind"))]
    (s.path("a") / "f").write_text("1")
    s.commit("base", "a")
    assert not s.exists("a") and s.exists("base")
    with pytest.raises(NotFound):
        s.prepare("y", "missing")
    s.prepare("x", None)
    with pytest.raises(InvalidArgument):  # parent must be committed
        s.prepare("y", "x")
    s.prepare("c", "base")
    assert (s.path("c") / "f").read_text() == "1"
    assert s.children("base") == ["c"]
    with pytest.raises(Conflict):
        s.remove("base")
    v = s.view("v", "base")
    assert "ro" in v[0].options
    with pytest.raises(Conflict):
        s.prepare("c", "base")
    s.remove("c")
    s.remove("v")
    s.remove("base")
    with pytest.raises(NotFound):
        s.mounts("base")
    assert s.usage("x").inodes == 0


def test_apply_layer_chain_ids_shared(tmp_path: Path) -> None:
    s = NaiveSnapshotter(tmp_path / "snaps")
    l1 = layer(tmp_path, "l1.tar", {"a": b"1"})
    l2 = layer(tmp_path, "l2.tar", {"b": b"2", ".wh.a": b""})
    c1 = apply_layer(s, None, l1)
    assert c1 == sha256_bytes(l1.read_bytes())
    c2 = apply_layer(s, c1, l2)
    assert sorted(p.name for p in s.path(c2).iterdir()) == ["b"]
    # same layer again: reused without reading the blob
    cid, res, created = apply_layer_result(s, c1, l2, sha256_bytes(l2.read_bytes()))
    assert (cid, res, created) == (c2, None, False)
    # unknown diff_id: applied, then found existing, not recreated
    cid, res, created = apply_layer_result(s, c1, l2)
    assert cid == c2 and not created
    assert len(list(s.walk())) == 2


def test_apply_layer_wrong_diff_id_cleans_up(tmp_path: Path) -> None:
    s = NaiveSnapshotter(tmp_path / "snaps")
    l1 = layer(tmp_path, "l1.tar", {"a": b"1"})
    with pytest.raises(DataCorruption):
        apply_layer(s, None, l1, "sha256:" + "0" * 64)
    assert list(s.walk()) == []
