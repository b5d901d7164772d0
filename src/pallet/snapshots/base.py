"""The Snapshotter protocol (containerd's vocabulary) and the on-disk metadata both
implementations share.

A snapshot is *active* (writable, from ``prepare``), a *view* (read-only) or
*committed* (immutable, usable as a parent). Keys are free strings; image
layers are committed under their chain ID, so identical layers are shared.

Layout under the root: ``s/<id>/`` holds one snapshot (``meta.json`` plus the
implementation's dirs); ``k/<sha256(key)>`` is a symlink to ``../s/<id>``, so a
lookup by key is one readlink and ``commit`` is a rename of that link.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal, Protocol

from pallet.errors import Conflict, InvalidArgument, NotFound
from pallet.snapshots.mount import Mount
from pallet.system.atomic import write_json
from pallet.system.fsflags import mark_topdir

WhiteoutMode = Literal["delete", "overlay"]


class Kind(StrEnum):
    ACTIVE = "active"
    VIEW = "view"
    COMMITTED = "committed"


@dataclass(frozen=True)
class Info:
    key: str
    parent: str | None
    kind: Kind
    created: float
    id: str


@dataclass(frozen=True)
class Usage:
    size: int
    inodes: int


class Snapshotter(Protocol):
    def prepare(self, key: str, parent: str | None) -> list[Mount]: ...
    def view(self, key: str, parent: str | None) -> list[Mount]: ...
    def mounts(self, key: str) -> list[Mount]: ...
    def commit(self, name: str, key: str) -> None: ...
    def remove(self, key: str) -> None: ...
    def usage(self, key: str) -> Usage: ...
    def exists(self, key: str) -> bool: ...
    def stat(self, key: str) -> Info: ...
    def walk(self) -> Iterator[Info]: ...
    def children(self, key: str) -> list[str]: ...
    def dir_of(self, key: str) -> Path:
        """The directory holding snapshot ``key`` (what its disk usage is counted over)."""
        ...
    def gc(self) -> None:
        """Drop dirs and links no key names (left by interrupted operations)."""
        ...
    def writable_dir(self, key: str) -> tuple[Path, WhiteoutMode]:
        """Where a layer is applied into an active snapshot, and which whiteout form it takes."""
        ...


class MetaBacked:
    """The Snapshotter methods both implementations answer from the shared metadata."""

    meta: MetaStore

    def _create(self, key: str, parent: str | None, kind: Kind) -> list[Mount]:
        raise NotImplementedError

    def prepare(self, key: str, parent: str | None) -> list[Mount]:
        return self._create(key, parent, Kind.ACTIVE)

    def view(self, key: str, parent: str | None) -> list[Mount]:
        return self._create(key, parent, Kind.VIEW)

    def exists(self, key: str) -> bool:
        return self.meta.exists(key)

    def stat(self, key: str) -> Info:
        return self.meta.stat(key)

    def walk(self) -> Iterator[Info]:
        return self.meta.walk()

    def children(self, key: str) -> list[str]:
        return self.meta.children(key)

    def dir_of(self, key: str) -> Path:
        return self.meta.dir_of(key)


def _h(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class MetaStore:
    """Snapshot records on disk, guarded by one lock (operations are short)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sdir = root / "s"
        self.kdir = root / "k"
        self.lock = threading.RLock()
        self.sdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.kdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        mark_topdir(self.sdir)  # each snapshot a hierarchy of its own (see fsflags)

    def dir_of(self, key: str) -> Path:
        try:
            sid = os.readlink(self.kdir / _h(key))
        except FileNotFoundError:
            raise NotFound(f"snapshot {key} does not exist") from None
        return self.sdir / os.path.basename(sid)

    def exists(self, key: str) -> bool:
        return os.path.lexists(self.kdir / _h(key))

    def stat(self, key: str) -> Info:
        return self._read(self.dir_of(key))

    def _read(self, d: Path) -> Info:
        with open(d / "meta.json") as f:
            m = json.load(f)
        return Info(m["key"], m.get("parent"), Kind(m["kind"]), m["created"], d.name)

    def _write(self, d: Path, key: str, parent: str | None, kind: Kind, created: float) -> None:
        write_json(
            d / "meta.json", {"key": key, "parent": parent, "kind": kind.value, "created": created}
        )

    def create(self, key: str, parent: str | None, kind: Kind) -> Path:
        """A new snapshot dir (caller fills it, then calls :meth:`publish`)."""
        if not key:
            raise InvalidArgument("snapshot key must not be empty")
        if self.exists(key):
            raise Conflict(f"snapshot {key} already exists")
        if parent is not None and self.stat(parent).kind != Kind.COMMITTED:
            raise InvalidArgument(f"parent snapshot {parent} is not committed")
        sid = secrets.token_hex(16)
        d = self.sdir / sid
        d.mkdir(mode=0o700)
        self._write(d, key, parent, kind, time.time())
        return d

    def publish(self, key: str, d: Path) -> None:
        link = self.kdir / _h(key)
        tmp = self.kdir / f".{_h(key)}.{secrets.token_hex(4)}"
        os.symlink(f"../s/{d.name}", tmp)
        try:
            if os.path.lexists(link):
                raise Conflict(f"snapshot {key} already exists")
            os.rename(tmp, link)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def commit(self, name: str, key: str) -> Path:
        d = self.dir_of(key)
        info = self._read(d)
        if info.kind != Kind.ACTIVE:
            raise InvalidArgument(f"snapshot {key} is not active")
        if self.exists(name):
            raise Conflict(f"snapshot {name} already exists")
        self._write(d, name, info.parent, Kind.COMMITTED, info.created)
        self.publish(name, d)
        os.unlink(self.kdir / _h(key))
        return d

    def children(self, key: str) -> list[str]:
        return [i.key for i in self.walk() if i.parent == key]

    def remove(self, key: str) -> Path:
        """Unlink the record (after checking it has no children); returns the dir to delete."""
        d = self.dir_of(key)
        kids = self.children(key)
        if kids:
            raise Conflict(f"snapshot {key} has {len(kids)} dependent snapshot(s)")
        os.unlink(self.kdir / _h(key))
        return d

    def walk(self) -> Iterator[Info]:
        for link in self.kdir.iterdir():
            if link.name.startswith("."):
                continue
            with contextlib.suppress(FileNotFoundError, ValueError, KeyError):
                yield self._read(self.sdir / os.path.basename(os.readlink(link)))

    def destroy(self, d: Path) -> None:
        """Delete a snapshot dir: rename first so a crash never leaves a half dir in use."""
        trash = self.sdir / f".del-{d.name}"
        with contextlib.suppress(FileNotFoundError):
            os.rename(d, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def gc(self) -> None:
        """Remove snapshot dirs no key points to and half-made key links (leftovers of a
        crash). Holds the lock: a snapshot being created is published under it."""
        with self.lock:
            live = set()
            for p in self.kdir.iterdir():
                if p.name.startswith("."):  # a publish cut short
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(p)
                    continue
                with contextlib.suppress(OSError):
                    live.add(os.readlink(p).rsplit("/", 1)[-1])
            dead = [d for d in self.sdir.iterdir() if d.name not in live]
        for d in dead:
            shutil.rmtree(d, ignore_errors=True)


def disk_usage(path: Path) -> Usage:
    """Bytes (allocated blocks) and inodes under ``path``, hardlinks counted once."""
    seen: set[tuple[int, int]] = set()
    size = inodes = 0
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            ino = (st.st_dev, st.st_ino)
            if ino in seen:
                continue
            seen.add(ino)
            inodes += 1
            size += st.st_blocks * 512
    return Usage(size, inodes)
