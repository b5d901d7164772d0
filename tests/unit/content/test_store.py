from __future__ import annotations

import io
from pathlib import Path

import pytest

from pallet.content.store import LocalContentStore
from pallet.errors import DataCorruption, NotFound
from pallet.oci.digest import sha256_bytes


def test_write_commit_read_walk_delete(tmp_path: Path) -> None:
    cs = LocalContentStore(tmp_path)
    data = b"hello" * 1000
    d = sha256_bytes(data)
    with cs.writer() as w:
        w.copy_from(io.BytesIO(data))
        assert w.commit(d, len(data)) == d
    assert cs.exists(d)
    assert cs.path(d) == tmp_path / "blobs/sha256" / d.hex
    assert cs.info(d).size == len(data)
    with cs.open(d) as f:
        assert f.read() == data
    assert [b.digest for b in cs.walk()] == [d]
    assert cs.delete(d) and not cs.exists(d)
    with pytest.raises(NotFound):
        cs.info(d)


def test_corrupt_input_rejected_and_temp_removed(tmp_path: Path) -> None:
    cs = LocalContentStore(tmp_path)
    with pytest.raises(DataCorruption, match="mismatch"), cs.writer() as w:
        w.write(b"abc")
        w.commit(sha256_bytes(b"abd"))
    with pytest.raises(DataCorruption, match="size"), cs.writer() as w:
        w.write(b"abc")
        w.commit(sha256_bytes(b"abc"), 4)
    assert list(cs.walk()) == []
    assert list((tmp_path / "ingest").iterdir()) == []


def test_abandoned_writer_leaves_nothing(tmp_path: Path) -> None:
    cs = LocalContentStore(tmp_path)
    with cs.writer() as w:
        w.write(b"partial")
    assert list((tmp_path / "ingest").iterdir()) == []
    assert list(cs.walk()) == []


def test_read_verifies(tmp_path: Path) -> None:
    cs = LocalContentStore(tmp_path)
    d = cs.write_bytes(b"x")
    p = cs.path(d)
    p.chmod(0o644)
    p.write_bytes(b"y")
    with pytest.raises(DataCorruption):
        cs.read(d)
