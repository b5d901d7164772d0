"""Plain-copy snapshotter: every snapshot is a full copy of its parent.

Slow and space-hungry, but needs no root and no overlayfs: unit tests and
fallback. Layers are applied onto the copied merged tree (``delete`` whiteouts).
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

from pallet.errors import CommandFailed, Conflict
from pallet.snapshots.base import (
    Kind,
    MetaBacked,
    MetaStore,
    Usage,
    WhiteoutMode,
    disk_usage,
)
from pallet.snapshots.mount import Mount


class NaiveSnapshotter(MetaBacked):
    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        self.meta = MetaStore(self.root)

    def mounts(self, key: str) -> list[Mount]:
        d = self.meta.dir_of(key)
        ro = self.meta.stat(key).kind != Kind.ACTIVE
        return [Mount("bind", str(d / "fs"), ("ro" if ro else "rw", "rbind"))]

    def commit(self, name: str, key: str) -> None:
        with self.meta.lock:
            self.meta.commit(name, key)

    def remove(self, key: str) -> None:
        with self.meta.lock:
            d = self.meta.remove(key)
        self.meta.destroy(d)

    def usage(self, key: str) -> Usage:
        return disk_usage(self.meta.dir_of(key) / "fs")

    def writable_dir(self, key: str) -> tuple[Path, WhiteoutMode]:
        if self.meta.stat(key).kind != Kind.ACTIVE:
            raise Conflict(f"snapshot {key} is not active")
        return self.meta.dir_of(key) / "fs", "delete"

    def path(self, key: str) -> Path:
        """The snapshot's tree (tests read it directly)."""
        return self.meta.dir_of(key) / "fs"

    def _create(self, key: str, parent: str | None, kind: Kind) -> list[Mount]:
        with self.meta.lock:
            d = self.meta.create(key, parent, kind)
            try:
                fs = d / "fs"
                if parent is None:
                    fs.mkdir(mode=0o755)
                else:
                    src = self.meta.dir_of(parent) / "fs"
                    argv = ["cp", "-a", "--reflink=auto", str(src), str(fs)]
                    p = subprocess.run(argv, capture_output=True, text=True, check=False)
                    if p.returncode != 0:
                        raise CommandFailed(argv, p.returncode, p.stderr)
                self.meta.publish(key, d)
            except BaseException:
                with contextlib.suppress(Exception):
                    self.meta.destroy(d)
                raise
        return self.mounts(key)

    def gc(self) -> None:
        self.meta.gc()
