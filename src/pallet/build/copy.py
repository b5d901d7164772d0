"""COPY and ADD into a mounted root filesystem, with Docker's path rules.

* a relative destination is relative to WORKDIR; several sources need a
  destination ending in ``/``;
* a directory source copies its *contents*; a file goes to ``dest/name`` when
  ``dest`` ends in ``/`` or is an existing directory, else to ``dest``;
* owners become ``uid:gid`` (0:0 unless ``--chown``), ``--chmod`` sets modes,
  file mtimes are kept, missing parents are created 0755;
* every destination is resolved with symlinks evaluated inside the root, and
  links inside a copied tree are recreated, never followed.
"""

from __future__ import annotations

import bz2
import lzma
import os
import posixpath
import shutil
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from pallet.build.context import Source
from pallet.errors import InvalidArgument
from pallet.oci.layertar import apply_layer
from pallet.system.securejoin import secure_join


@dataclass(frozen=True)
class Owner:
    uid: int = 0
    gid: int = 0


def dest_path(dest: str, workdir: str) -> str:
    """Docker's destination: absolute, keeping a trailing slash."""
    slash = dest.endswith("/") or dest in (".", "..") or dest.endswith(("/.", "/.."))
    if not dest.startswith("/"):
        dest = posixpath.join("/", workdir or "/", dest)
    dest = posixpath.normpath(dest)
    if dest.startswith("//"):
        dest = dest[1:]
    return dest.rstrip("/") + "/" if slash and dest != "/" else dest


def _mkdirs(root: Path, path: str, owner: Owner) -> Path:
    """Create ``path`` (inside ``root``) and missing parents; returns the host path."""
    parts = [p for p in path.split("/") if p]
    cur = "/"
    for part in parts:
        cur = posixpath.join(cur, part)
        host = secure_join(root, cur)
        try:
            st = os.lstat(host)
        except FileNotFoundError:
            os.mkdir(host, 0o755)
            os.chown(host, owner.uid, owner.gid)
            os.chmod(host, 0o755)
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise InvalidArgument(f"cannot copy to {path}: {cur} is not a directory")
    return secure_join(root, path)


def _clear(host: Path, want_dir: bool) -> None:
    try:
        st = os.lstat(host)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        if want_dir:
            return
        raise InvalidArgument(f"cannot overwrite directory {host.name!r} with a non-directory")
    os.unlink(host)


def _copy_entry(src: Path, st: os.stat_result, dst: Path, owner: Owner, chmod: int | None) -> None:
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        _clear(dst, True)
        if not os.path.isdir(dst) or os.path.islink(dst):
            os.mkdir(dst, 0o700)
        os.chown(dst, owner.uid, owner.gid, follow_symlinks=False)
        os.chmod(dst, chmod if chmod is not None else stat.S_IMODE(mode))
        return
    _clear(dst, False)
    if stat.S_ISLNK(mode):
        os.symlink(os.readlink(src), dst)
        os.chown(dst, owner.uid, owner.gid, follow_symlinks=False)
        os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
        return
    if stat.S_ISREG(mode):
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with open(src, "rb") as fin:
                out = os.fdopen(fd, "wb", closefd=False)
                shutil.copyfileobj(fin, out, 1 << 20)
                out.flush()
            os.fchown(fd, owner.uid, owner.gid)
            os.fchmod(fd, chmod if chmod is not None else stat.S_IMODE(mode))
        finally:
            os.close(fd)
        os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
        return
    if stat.S_ISFIFO(mode):
        os.mkfifo(dst, stat.S_IMODE(mode))
        os.chown(dst, owner.uid, owner.gid, follow_symlinks=False)
    # sockets and devices in a build context are skipped


def _copy_dir(src: Path, root: Path, dest: str, owner: Owner, chmod: int | None) -> None:
    top = _mkdirs(root, dest, owner)
    dir_times: list[tuple[Path, os.stat_result]] = [(top, os.stat(src))]
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        rel = os.path.relpath(dirpath, src)
        for name in sorted(dirnames + filenames):
            s = Path(dirpath) / name
            r = name if rel == "." else f"{rel}/{name}"
            d = secure_join(root, f"{dest}/{r}", follow_last=False)
            st = os.lstat(s)
            _copy_entry(s, st, d, owner, chmod)
            if stat.S_ISDIR(st.st_mode):
                dir_times.append((d, st))
    for d, st in reversed(dir_times):
        os.utime(d, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)


def copy_sources(
    root: Path,
    sources: Sequence[Source],
    dest: str,
    workdir: str,
    owner: Owner = Owner(),
    chmod: int | None = None,
    kind: str = "COPY",
) -> None:
    """Copy ``sources`` to ``dest`` inside the mounted rootfs ``root``."""
    target = dest_path(dest, workdir)
    as_dir = target.endswith("/")
    if len(sources) > 1 and not as_dir:
        raise InvalidArgument(
            f"When using {kind} with more than one source file, the destination must be a"
            " directory and end with a /"
        )
    for src in sources:
        if src.is_dir:
            _copy_dir(src.host, root, target.rstrip("/") or "/", owner, chmod)
            continue
        host_dest = secure_join(root, target)
        if as_dir or os.path.isdir(host_dest):
            parent = target.rstrip("/") or "/"
            _mkdirs(root, parent, owner)
            final = posixpath.join(parent, posixpath.basename(src.rel or src.host.name))
        else:
            final = target
            _mkdirs(root, posixpath.dirname(final), owner)
        d = secure_join(root, final, follow_last=False)
        _copy_entry(src.host, os.stat(src.host), d, owner, chmod)


def write_file(root: Path, dest: str, workdir: str, data: bytes, owner: Owner,
               chmod: int | None) -> None:
    """COPY's heredoc form: a file with ``data`` at ``dest``."""
    target = dest_path(dest, workdir)
    host_dest = secure_join(root, target)
    if target.endswith("/") or os.path.isdir(host_dest):
        raise InvalidArgument(f"heredoc destination {dest} is a directory")
    _mkdirs(root, posixpath.dirname(target), owner)
    d = secure_join(root, target, follow_last=False)
    _clear(d, False)
    fd = os.open(d, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, data)
        os.fchown(fd, owner.uid, owner.gid)
        os.fchmod(fd, chmod if chmod is not None else 0o644)
    finally:
        os.close(fd)


_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")


def is_archive(path: Path) -> bool:
    """A tar, possibly gzip/bzip2/xz compressed (ADD unpacks these)."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError:
        return False
    if head.startswith(_MAGIC):
        return True
    return len(head) >= 262 and head[257:262] == b"ustar"


def extract_archive(path: Path, root: Path, dest: str, workdir: str, owner: Owner) -> None:
    """ADD of a local archive: unpack into ``dest`` (entries cannot leave it)."""
    target = dest_path(dest, workdir).rstrip("/") or "/"
    host = _mkdirs(root, target, owner)
    with open(path, "rb") as raw:
        head = raw.read(6)
        raw.seek(0)
        if head.startswith(b"BZh"):
            with bz2.open(raw) as bz:
                apply_layer(cast(BinaryIO, bz), host, whiteouts="delete")
        elif head.startswith(b"\xfd7zXZ\x00"):
            with lzma.open(raw) as xz:
                apply_layer(cast(BinaryIO, xz), host, whiteouts="delete")
        else:
            apply_layer(raw, host, whiteouts="delete")
