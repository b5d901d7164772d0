"""Overlay snapshotter, laid out like Docker's overlay2.

``s/<id>/diff`` is the layer's own tree (overlay whiteouts inside),
``s/<id>/work`` overlay's workdir, ``s/<id>/link`` a short name, with
``l/<short> -> ../s/<id>/diff`` so a 100+ layer ``lowerdir`` stays short, and
``s/<id>/lower`` the parent chain as ``l/A:l/B:...`` (top-most first), written
once at prepare time (parents are immutable).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path

from pallet.errors import Conflict
from pallet.snapshots.base import (
    Kind,
    MetaBacked,
    MetaStore,
    Usage,
    WhiteoutMode,
    disk_usage,
)
from pallet.snapshots.mount import Mount
from pallet.system.atomic import write_bytes

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
LINK_LEN = 12
OVERLAY_OPTIONS = ("index=off", "redirect_dir=off", "metacopy=off")


def _short_name() -> str:
    return "".join(_ALPHABET[b % 32] for b in secrets.token_bytes(LINK_LEN))


class OverlaySnapshotter(MetaBacked):
    """Snapshots as overlayfs layers under ``root`` (needs root to mount and to apply)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        self.meta = MetaStore(self.root)
        self.links = self.root / "l"
        self.links.mkdir(exist_ok=True, mode=0o700)

    # -- protocol ----------------------------------------------------------
    def mounts(self, key: str) -> list[Mount]:
        d = self.meta.dir_of(key)
        info = self.meta.stat(key)
        lower = self._lower(d)
        if info.kind == Kind.VIEW:
            if not lower:
                return [Mount("bind", str(d / "diff"), ("ro", "rbind"))]
            if len(lower) == 1:
                return [Mount("bind", str(self.root / lower[0]), ("ro", "rbind"))]
            lowers = ":".join(str(self.root / p) for p in lower)
            return [Mount("overlay", "overlay", (f"lowerdir={lowers}", *OVERLAY_OPTIONS, "ro"))]
        if not lower:
            return [Mount("bind", str(d / "diff"), ("rw", "rbind"))]
        lowers = ":".join(str(self.root / p) for p in lower)
        return [
            Mount(
                "overlay",
                "overlay",
                (
                    f"lowerdir={lowers}",
                    f"upperdir={d / 'diff'}",
                    f"workdir={d / 'work'}",
                    *OVERLAY_OPTIONS,
                ),
            )
        ]

    def commit(self, name: str, key: str) -> None:
        with self.meta.lock:
            d = self.meta.commit(name, key)
        with contextlib.suppress(OSError):
            # the workdir is only needed while an upper is mounted
            for p in (d / "work").iterdir():
                shutil.rmtree(p) if p.is_dir() else os.unlink(p)

    def remove(self, key: str) -> None:
        with self.meta.lock:
            d = self.meta.remove(key)
            with contextlib.suppress(FileNotFoundError):
                short = (d / "link").read_text().strip()
                os.unlink(self.links / short)
        self.meta.destroy(d)

    def usage(self, key: str) -> Usage:
        return disk_usage(self.meta.dir_of(key) / "diff")

    def writable_dir(self, key: str) -> tuple[Path, WhiteoutMode]:
        d = self.meta.dir_of(key)
        if self.meta.stat(key).kind != Kind.ACTIVE:
            raise Conflict(f"snapshot {key} is not active")
        return d / "diff", "overlay"

    # -- internals ---------------------------------------------------------
    def _lower(self, d: Path) -> list[str]:
        try:
            text = (d / "lower").read_text().strip()
        except FileNotFoundError:
            return []
        return text.split(":") if text else []

    def _create(self, key: str, parent: str | None, kind: Kind) -> list[Mount]:
        with self.meta.lock:
            d = self.meta.create(key, parent, kind)
            try:
                (d / "diff").mkdir(mode=0o755)
                (d / "work").mkdir(mode=0o700)
                short = _short_name()
                while os.path.lexists(self.links / short):
                    short = _short_name()
                os.symlink(f"../s/{d.name}/diff", self.links / short)
                write_bytes(d / "link", short.encode(), durable=False)
                if parent is not None:
                    pd = self.meta.dir_of(parent)
                    pshort = (pd / "link").read_text().strip()
                    chain = [f"l/{pshort}", *self._lower(pd)]
                    write_bytes(d / "lower", ":".join(chain).encode(), durable=False)
                self.meta.publish(key, d)
            except BaseException:
                with contextlib.suppress(Exception):
                    short = (d / "link").read_text().strip()
                    os.unlink(self.links / short)
                self.meta.destroy(d)
                raise
        return self.mounts(key)

    def gc(self) -> None:
        """Drop dirs and links of interrupted operations."""
        self.meta.gc()
        with self.meta.lock:
            for link in self.links.iterdir():
                if not link.exists():
                    with contextlib.suppress(FileNotFoundError):
                        link.unlink()
