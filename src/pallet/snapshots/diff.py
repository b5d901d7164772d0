"""An overlay upper dir -> an OCI layer tar (the reverse of ``apply``'s overlay mode).

* a 0:0 character device (overlay's whiteout) -> an empty ``dir/.wh.<name>``
* a dir with ``trusted.overlay.opaque=y`` (or the ``user.`` forms) -> the dir and
  ``dir/.wh..wh..opq``
* regular files with several links inside the upper -> one file, then hard links
* xattrs -> ``SCHILY.xattr.*`` PAX records, minus overlay's own (``trusted.overlay.*``...)
* reproducible: sorted walk, PAX format, numeric ids, empty user/group names,
  mtimes clamped to ``epoch`` (SOURCE_DATE_EPOCH) when given; sockets are skipped.

:func:`prune_mountpoints` first removes what the runtime created in the upper only
to mount something there (``/etc/hosts``, ``/proc``, a cache or secret target), as
Docker's init layer keeps them out of commits.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pallet.oci.openat2 import open_beneath_nofollow

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
_OVERLAY_XATTRS = ("trusted.overlay.", "user.overlay.", "user.fuseoverlayfs.")
_OPAQUE_XATTRS = ("trusted.overlay.opaque", "user.overlay.opaque", "user.fuseoverlayfs.opaque")
COPY_BUFSIZE = 1 << 20


@dataclass
class DiffStats:
    entries: int = 0
    files: int = 0
    content_size: int = 0  # bytes of regular-file content
    whiteouts: int = 0
    opaque: int = 0
    hardlinks: int = 0


def _walk(root: str, rel: str = "") -> Iterator[tuple[str, os.stat_result]]:
    """(relative path, lstat) of everything under ``root``, parents first, sorted by name."""
    with os.scandir(os.path.join(root, rel) if rel else root) as it:
        entries = sorted(it, key=lambda e: e.name)
    for e in entries:
        path = f"{rel}/{e.name}" if rel else e.name
        st = e.stat(follow_symlinks=False)
        yield path, st
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(root, path)


def _xattrs(path: str) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return out
    for n in names:
        if n.startswith(_OVERLAY_XATTRS):
            continue
        with contextlib.suppress(OSError):
            out[n] = os.getxattr(path, n, follow_symlinks=False)
    return out


def is_opaque(path: str | Path) -> bool:
    for n in _OPAQUE_XATTRS:
        try:
            if os.getxattr(path, n, follow_symlinks=False) == b"y":
                return True
        except OSError:
            continue
    return False


def is_whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def _info(name: str, st: os.stat_result, epoch: int | None) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.mode = stat.S_IMODE(st.st_mode)
    ti.uid, ti.gid = st.st_uid, st.st_gid
    ti.uname = ti.gname = ""
    mtime = int(st.st_mtime)
    ti.mtime = min(mtime, epoch) if epoch is not None else mtime
    return ti


def _excluded(rel: str, exclude: frozenset[str]) -> bool:
    if not exclude:
        return False
    if rel in exclude:
        return True
    parts = rel.split("/")
    return any("/".join(parts[:n]) in exclude for n in range(1, len(parts)))


class _Fd:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def close(self) -> None:
        os.close(self.fd)


def _open_same(rootfd: int, rel: str, st: os.stat_result) -> IO[bytes] | None:
    """Open regular file ``rel`` under the root without following any symlink, and only
    if it is still the file ``st`` describes: a tree that changes while it is read
    (``export`` of a running container) cannot make us read a file outside it."""
    try:
        fd = open_beneath_nofollow(rootfd, rel, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    now = os.fstat(fd)
    if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino) or not stat.S_ISREG(now.st_mode):
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


def write_layer(
    upper: Path, out: IO[bytes], *, epoch: int | None = None, exclude: Iterable[str] = ()
) -> DiffStats:
    """Write the uncompressed layer tar of ``upper`` to ``out``; returns counts."""
    stats = DiffStats()
    skip = frozenset(p.strip("/") for p in exclude)
    root = str(upper)
    links: dict[tuple[int, int], str] = {}
    rootfd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    with contextlib.closing(_Fd(rootfd)), tarfile.open(
        fileobj=out, mode="w|", format=tarfile.PAX_FORMAT, bufsize=COPY_BUFSIZE
    ) as tf:
        tf.copybufsize = COPY_BUFSIZE  # type: ignore[attr-defined]
        for rel, st in _walk(root):
            if _excluded(rel, skip):
                continue
            path = os.path.join(root, rel)
            mode = st.st_mode
            stats.entries += 1
            if is_whiteout(st):
                d, base = os.path.split(rel)
                ti = _info(os.path.join(d, WHITEOUT + base), st, epoch)
                ti.type, ti.mode, ti.size = tarfile.REGTYPE, 0o644, 0
                tf.addfile(ti)
                stats.whiteouts += 1
                continue
            if stat.S_ISSOCK(mode):
                continue
            ti = _info(rel, st, epoch)
            xa = _xattrs(path)
            if xa:
                ti.pax_headers = {"SCHILY.xattr." + k: v.decode("latin-1") for k, v in xa.items()}
            if stat.S_ISDIR(mode):
                ti.type = tarfile.DIRTYPE
                tf.addfile(ti)
                if is_opaque(path):
                    o = _info(f"{rel}/{OPAQUE}", st, epoch)
                    o.type, o.mode, o.size = tarfile.REGTYPE, 0o644, 0
                    tf.addfile(o)
                    stats.opaque += 1
            elif stat.S_ISLNK(mode):
                ti.type = tarfile.SYMTYPE
                ti.linkname = os.readlink(path)
                tf.addfile(ti)
            elif stat.S_ISREG(mode):
                key = (st.st_dev, st.st_ino)
                if st.st_nlink > 1:
                    first = links.get(key)
                    if first is not None:
                        ti.type = tarfile.LNKTYPE
                        ti.linkname = first
                        tf.addfile(ti)
                        stats.hardlinks += 1
                        continue
                    links[key] = rel
                f = _open_same(rootfd, rel, st)
                if f is None:
                    continue  # replaced meanwhile (a live container's tree)
                ti.size = st.st_size
                with f:
                    tf.addfile(ti, f)
                stats.files += 1
                stats.content_size += st.st_size
            elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode):
                ti.type = (
                    tarfile.CHRTYPE if stat.S_ISCHR(mode)
                    else tarfile.BLKTYPE if stat.S_ISBLK(mode) else tarfile.FIFOTYPE
                )
                ti.devmajor, ti.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
                tf.addfile(ti)
    return stats


def is_empty(upper: Path) -> bool:
    with os.scandir(upper) as it:
        return next(it, None) is None


def _in_lowers(lowers: list[Path], rel: str) -> os.stat_result | None:
    """The entry at ``rel`` in the merged lower dirs (top-most first), roughly:
    the first layer having it decides; a whiteout there means absent."""
    for lower in lowers:
        try:
            st = os.lstat(lower / rel)
        except (FileNotFoundError, NotADirectoryError):
            continue
        return None if is_whiteout(st) else st
    return None


def _removable_placeholder(path: Path, st: os.stat_result, rel: str,
                           gone: set[str]) -> bool:
    if stat.S_ISDIR(st.st_mode):
        if is_opaque(path):
            return False
        with os.scandir(path) as it:
            return all(f"{rel}/{e.name}" in gone for e in it)
    return stat.S_ISREG(st.st_mode) and st.st_size == 0


def prune_mountpoints(upper: Path, lowers: list[Path], destinations: Iterable[str], *,
                      dry_run: bool = False) -> list[str]:
    """Remove the empty files and dirs the runtime made in ``upper`` to mount on, and the
    parent dirs it created (or only copied up) for them. Returns the removed paths.

    ``dry_run``: remove nothing, only answer what would go (``docker commit`` and
    ``diff`` of a container whose upper dir is still in use)."""
    removed: list[str] = []
    gone: set[str] = set()
    for dest in sorted({d.strip("/") for d in destinations if d.strip("/")}, reverse=True):
        rel = dest
        first = True
        while rel and rel not in gone:
            path = upper / rel
            try:
                st = os.lstat(path)
            except (FileNotFoundError, NotADirectoryError):
                break
            if not _removable_placeholder(path, st, rel, gone):
                break
            below = _in_lowers(lowers, rel)
            if below is not None and not first:
                # a parent dir only copied up: drop it if it equals the lower one
                if (
                    not stat.S_ISDIR(below.st_mode)
                    or stat.S_IMODE(below.st_mode) != stat.S_IMODE(st.st_mode)
                    or (below.st_uid, below.st_gid) != (st.st_uid, st.st_gid)
                ):
                    break
            elif below is not None and first:
                # the mount point existed in the image: an upper entry is a copy-up
                if stat.S_IFMT(below.st_mode) != stat.S_IFMT(st.st_mode):
                    break
            if not dry_run:
                (os.rmdir if stat.S_ISDIR(st.st_mode) else os.unlink)(path)
            gone.add(rel)
            removed.append(rel)
            rel = os.path.dirname(rel)
            first = False
    return removed
