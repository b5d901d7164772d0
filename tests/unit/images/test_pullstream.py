"""A layer read while it downloads: the follower waits for bytes, ends only at a verified
download, survives an attempt that starts over, and fails with the download."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from pallet.errors import DataCorruption
from pallet.images.pullstream import BlobProgress, Follower, NothingToFollow


def _read_all(f: Follower) -> bytes:
    out = b""
    while chunk := f.read(7):
        out += chunk
    return out


def _reading(f: Follower) -> tuple[threading.Thread, list[bytes]]:
    """A thread reading ``f`` to its end; what it read lands in the list."""
    got: list[bytes] = []
    t = threading.Thread(target=lambda: got.append(_read_all(f)))
    t.start()
    return t, got


def _started(tmp_path: Path, data: bytes) -> tuple[Path, BlobProgress, Follower]:
    """A download whose attempt has written ``data``, and a follower of it."""
    part = tmp_path / "partial"
    part.write_bytes(data)
    p = BlobProgress()
    p.attempt(part, len(data))
    return part, p, Follower(p)


def _append(part: Path, p: BlobProgress, data: bytes) -> None:
    with open(part, "ab") as w:
        w.write(data)
    p.wrote(part.stat().st_size)


def test_follows_a_growing_file_and_ends_when_verified(tmp_path: Path) -> None:
    part = tmp_path / "partial"
    part.write_bytes(b"")
    p = BlobProgress()
    reader, got = _reading(Follower(p))
    p.attempt(part, 0)
    for piece in (b"hello ", b"growing ", b"world"):
        _append(part, p, piece)
        time.sleep(0.01)
    time.sleep(0.05)
    assert reader.is_alive()  # all bytes read, but the download is not verified yet
    part.rename(tmp_path / "blob")  # commit: the open fd keeps reading the same file
    p.finish()
    reader.join(5)
    assert got == [b"hello growing world"]
    p.close()


def test_an_attempt_that_starts_over_keeps_what_was_read(tmp_path: Path) -> None:
    part, p, f = _started(tmp_path, b"abcdef")
    assert f.read(4) == b"abcd"
    part.write_bytes(b"")  # the registry ignored Range: the blob comes again from byte 0
    p.attempt(part, 0)
    t, rest = _reading(f)
    _append(part, p, b"abc")
    t.join(0.05)
    assert t.is_alive()  # not yet past what was read
    _append(part, p, b"defgh")
    p.finish()
    t.join(5)
    assert rest == [b"efgh"]
    p.close()


def test_a_failed_download_is_the_readers_error(tmp_path: Path) -> None:
    _, p, f = _started(tmp_path, b"abc")
    assert f.read(10) == b"abc"
    p.finish(DataCorruption("blob digest mismatch"))
    with pytest.raises(DataCorruption, match="mismatch"):
        f.read(10)
    p.close()


def test_nothing_to_follow_when_no_attempt_wrote(tmp_path: Path) -> None:
    p = BlobProgress()
    p.finish()  # the blob was in the store already (or another pull fetched it)
    with pytest.raises(NothingToFollow):
        Follower(p).read(10)
