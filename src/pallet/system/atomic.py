"""Atomic file writes: temp file in the same directory, fsync, rename.

A crash at any point leaves either the old content or the new one, never a mix.
``durable=False`` skips the fsync: for files that only need to survive palletd being
killed (the kernel keeps what was written) and are made again after a host crash
(the per-start bundle files, notes about network namespaces that a reboot removes).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_writer(path: Path, mode: int = 0o600, durable: bool = True) -> Iterator[IO[bytes]]:
    """Yield a binary file; on clean exit it replaces ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fchmod(f.fileno(), mode)
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_bytes(path: Path, data: bytes, mode: int = 0o600, durable: bool = True) -> None:
    with atomic_writer(path, mode, durable) as f:
        f.write(data)


def write_json(path: Path, value: Any, mode: int = 0o600, durable: bool = True) -> None:
    write_bytes(path, json.dumps(value, separators=(",", ":")).encode(), mode, durable)
