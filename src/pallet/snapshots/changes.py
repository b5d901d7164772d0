"""What a container changed: its overlay upper dir compared with the layers below
(``GET /containers/{id}/changes``, ``docker diff``).

Docker's rules (moby ``archive.OverlayChanges``), walked in path order:

* an overlay whiteout (0:0 character device) -> ``Kind 2`` (deleted)
* an entry absent from the layers below -> ``Kind 1`` (added)
* an entry present below -> ``Kind 0`` (modified), except a directory whose size,
  mode and mtime equal the lower one's (only copied up on the way to a change)
* the parent of an added or deleted entry is listed as modified (once)

An opaque directory (``rm -rf d; mkdir d``) is listed as modified, and the names it
hides from the layers below as deleted (Docker reports the directory itself as
deleted). The layers below are read without following symlinks: an upper path is
looked up component by component in each lower, as overlayfs merges them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pallet.api.responses import FilesystemChange
from pallet.snapshots.diff import is_opaque, is_whiteout

MODIFIED, ADDED, DELETED = 0, 1, 2


@dataclass(frozen=True)
class Change:
    path: str  # absolute inside the container: "/etc/passwd"
    kind: int  # MODIFIED, ADDED or DELETED

    def wire(self) -> FilesystemChange:
        return FilesystemChange(Path=self.path, Kind=self.kind)


def _in_layer(lower: Path, parts: list[str]) -> tuple[os.stat_result | None, bool]:
    """(the entry at ``parts`` in one lower layer or None, whether this layer hides
    the path from the layers under it: a non-dir or opaque dir on the way)."""
    cur = str(lower)
    hides = False
    for i, name in enumerate(parts):
        cur = os.path.join(cur, name)
        try:
            st = os.lstat(cur)
        except (FileNotFoundError, NotADirectoryError):
            return None, hides
        if i == len(parts) - 1:
            return st, True
        if not stat.S_ISDIR(st.st_mode):
            return None, True  # a file, symlink or whiteout covers everything below
        if is_opaque(cur):
            hides = True
    return None, hides  # pragma: no cover - parts is never empty


def lower_entry(lowers: list[Path], rel: str) -> os.stat_result | None:
    """The entry at ``rel`` in the merged ``lowers`` (top-most first), or None."""
    parts = rel.split("/")
    for lower in lowers:
        st, hides = _in_layer(lower, parts)
        if st is not None:
            return None if is_whiteout(st) else st
        if hides:
            return None
    return None


def lower_names(lowers: list[Path], rel: str) -> set[str]:
    """The names in directory ``rel`` of the merged ``lowers``."""
    parts = rel.split("/")
    names: set[str] = set()
    hidden: set[str] = set()
    for lower in lowers:
        st, hides = _in_layer(lower, parts)
        if st is None:
            if hides:
                break
            continue
        if not stat.S_ISDIR(st.st_mode):
            break  # a whiteout or a non-dir covers the layers under it
        path = os.path.join(str(lower), rel)
        with os.scandir(path) as it:
            for e in it:
                if is_whiteout(e.stat(follow_symlinks=False)):
                    hidden.add(e.name)
                elif e.name not in hidden:
                    names.add(e.name)
        if is_opaque(path):
            break
    return names


def _same_time(a: os.stat_result, b: os.stat_result) -> bool:
    if a.st_mtime_ns == b.st_mtime_ns:
        return True
    sec_a, ns_a = divmod(a.st_mtime_ns, 10**9)
    sec_b, ns_b = divmod(b.st_mtime_ns, 10**9)
    return sec_a == sec_b and (ns_a == 0 or ns_b == 0)


def _same_dir(a: os.stat_result, b: os.stat_result) -> bool:
    return a.st_size == b.st_size and a.st_mode == b.st_mode and _same_time(a, b)


def _walk(root: str, rel: str, skip: frozenset[str]) -> Iterable[tuple[str, os.stat_result]]:
    with os.scandir(os.path.join(root, rel) if rel else root) as it:
        entries = sorted(it, key=lambda e: e.name)
    for e in entries:
        path = f"{rel}/{e.name}" if rel else e.name
        if path in skip:
            continue
        st = e.stat(follow_symlinks=False)
        yield path, st
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(root, path, skip)


def overlay_changes(upper: Path, lowers: list[Path], exclude: Iterable[str] = ()) -> list[Change]:
    """The changes recorded in ``upper`` over ``lowers`` (top-most first), in path
    order; ``exclude``: paths (with everything under them) left out."""
    skip = frozenset(p.strip("/") for p in exclude if p.strip("/"))
    out: list[Change] = []
    changed_dirs: set[str] = set()

    def add(path: str, kind: int) -> None:
        if kind != MODIFIED:
            parent = os.path.dirname(path)
            if parent != "/" and parent not in changed_dirs:
                out.append(Change(parent, MODIFIED))
                changed_dirs.add(parent)
        out.append(Change(path, kind))

    opaque_dirs: list[str] = []  # walked in order: a prefix check against the last ones
    for rel, st in _walk(str(upper), "", skip):
        path = "/" + rel
        if is_whiteout(st):
            add(path, DELETED)
            continue
        while opaque_dirs and not rel.startswith(opaque_dirs[-1] + "/"):
            opaque_dirs.pop()
        below = None if opaque_dirs else lower_entry(lowers, rel)
        is_dir = stat.S_ISDIR(st.st_mode)
        if is_dir and is_opaque(upper / rel):
            opaque_dirs.append(rel)  # nothing below it shows through
        opaque = bool(opaque_dirs) and opaque_dirs[-1] == rel and below is not None
        if below is None:
            kind = ADDED
        elif (is_dir and not opaque and stat.S_ISDIR(below.st_mode)
              and _same_dir(st, below)):
            continue
        else:
            kind = MODIFIED
        if is_dir:
            changed_dirs.add(path)
        add(path, kind)
        if opaque:
            present = set(os.listdir(upper / rel))
            for name in sorted(lower_names(lowers, rel) - present):
                add(f"{path}/{name}", DELETED)
    out.sort(key=lambda c: c.path.split("/"))
    return out

