"""The build context on the daemon side: unpack it, find COPY sources in it, hash them.

Nothing may come from outside the context: source paths are cleaned lexically
(a ``..`` that climbs out is refused) and resolved with symlinks evaluated
inside the context root (a link to ``/etc/passwd`` means ``<context>/etc/passwd``).
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pallet.build.tarindex import dir_header, record
from pallet.errors import InvalidArgument, NotFound
from pallet.notation.dockerignore import compile_glob
from pallet.oci.layertar import apply_layer
from pallet.system.securejoin import secure_join

_GLOB_CHARS = "*?["


@dataclass(frozen=True)
class Source:
    host: Path  # resolved path on the host, inside the context root
    rel: str  # the path as matched, relative to the context
    is_dir: bool


def unpack(tar: BinaryIO | Path, target: Path,
           skip: Callable[[str], bool] = lambda name: ".wh." in name) -> None:
    """Extract the context tar into ``target`` (safe against escapes; gzip accepted);
    ``skip`` gets each clean member path (whiteout names by default)."""
    target.mkdir(parents=True, exist_ok=True)
    apply_layer(tar, target, whiteouts="delete", skip=skip)


def clean_source(path: str) -> str:
    """``./a/../b`` -> ``b``; refuses paths that leave the context."""
    p = posixpath.normpath(path) if path else "."
    if p.startswith("/"):
        p = posixpath.normpath(p.lstrip("/") or ".")
    if p == ".." or p.startswith("../"):
        raise InvalidArgument(f"forbidden path outside the build context: {path}")
    return "" if p == "." else p


def _walk_rel(root: Path) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        for name in sorted(dirnames + filenames):
            r = name if rel == "." else f"{rel}/{name}"
            out.append((r, name in dirnames))
    return out


def find_sources(root: Path, pattern: str, kind: str = "COPY",
                 glob: bool = True) -> list[Source]:
    """The context entries ``pattern`` names (a path or, with ``glob``, a glob), sorted."""
    rel = clean_source(pattern)
    if glob and any(c in rel for c in _GLOB_CHARS):
        rx = compile_glob(rel)
        found = []
        for r, _ in _walk_rel(root):
            if rx.match(r):
                host = secure_join(root, r)
                found.append(Source(host, r, host.is_dir()))
        if not found:
            raise NotFound(f"{kind} failed: no source files were specified by {pattern!r}")
        return found
    try:
        host = secure_join(root, rel)  # a file on the way raises NotADirectoryError
        st = os.stat(host)
    except (FileNotFoundError, NotADirectoryError):
        raise NotFound(
            f"{kind} failed: file not found in build context or excluded by .dockerignore:"
            f" stat {rel or '.'}: file does not exist"
        ) from None
    return [Source(host, rel, stat.S_ISDIR(st.st_mode))]


def hash_tree(path: Path, sums: dict[str, str] | None = None) -> str:
    """A digest of names, types, modes, link targets and file contents under ``path``
    (a file or a dir; mtimes and owners are not part of it). ``sums`` memoizes file
    content hashes by host path across calls."""
    h = hashlib.sha256()
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        h.update(_record(".", str(path), st, sums))
        return h.hexdigest()
    h.update(dir_header(stat.S_IMODE(st.st_mode)))
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames.sort()
        rel = os.path.relpath(dirpath, path)
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            r = name if rel == "." else f"{rel}/{name}"
            h.update(_record(r, full, os.lstat(full), sums))
    return h.hexdigest()


def _record(rel: str, path: str, st: os.stat_result, sums: dict[str, str] | None) -> bytes:
    mode = st.st_mode
    link = content = ""
    if stat.S_ISLNK(mode):
        link = os.readlink(path)
    elif stat.S_ISREG(mode):
        content = (sums or {}).get(path, "")
        if not content:
            with open(path, "rb") as f:
                content = hashlib.file_digest(f, "sha256").hexdigest()
            if sums is not None:
                sums[path] = content
    return record(rel, stat.S_IFMT(mode), stat.S_IMODE(mode), st.st_size, link, content)
