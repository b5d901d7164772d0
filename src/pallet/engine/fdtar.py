"""A tar of a directory tree read through file descriptors only.

Each entry is reached as (directory fd, name) and opened with ``O_NOFOLLOW``; a
regular file is opened non-blocking and checked with ``fstat`` after the open, so
an entry swapped for a symlink, a FIFO or a device between the listing and the
read is never followed or blocked on. Symlinks stay links, hard links within the
tree become tar hard links, sockets are left out (as Docker does). A file that
shrinks while it is read is padded to the size its header announced, so the
stream stays a valid tar. The walk is iterative: a deep tree costs one fd per
level, never Python stack.
"""

from __future__ import annotations

import os
import stat
import tarfile
from typing import BinaryIO

from pallet.errors import InvalidArgument

_TYPES = {stat.S_IFREG: tarfile.REGTYPE, stat.S_IFDIR: tarfile.DIRTYPE,
          stat.S_IFLNK: tarfile.SYMTYPE, stat.S_IFCHR: tarfile.CHRTYPE,
          stat.S_IFBLK: tarfile.BLKTYPE, stat.S_IFIFO: tarfile.FIFOTYPE}
_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class _Exact:
    """At most ``size`` bytes of ``f``, padded with zeros if it ends early."""

    def __init__(self, f: BinaryIO, size: int) -> None:
        self.f = f
        self.left = size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data = self.f.read(n) if n else b""
        if len(data) < n:
            data += b"\0" * (n - len(data))
        self.left -= len(data)
        return data


def tarinfo(st: os.stat_result, arcname: str, linkname: str = "") -> tarfile.TarInfo | None:
    """The tar header of an entry; None for sockets."""
    kind = _TYPES.get(stat.S_IFMT(st.st_mode))
    if kind is None:
        return None
    info = tarfile.TarInfo(arcname)
    info.type = kind
    info.mode = stat.S_IMODE(st.st_mode)
    info.uid, info.gid = st.st_uid, st.st_gid
    info.mtime = int(st.st_mtime)
    info.linkname = linkname
    info.size = st.st_size if kind == tarfile.REGTYPE else 0
    if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
    return info


class TreeWriter:
    """Writes entries to ``tf``; ``skip_devs`` are devices whose directories stay empty."""

    def __init__(self, tf: tarfile.TarFile, skip_devs: frozenset[int] = frozenset()) -> None:
        self.tf = tf
        self.skip_devs = skip_devs
        self.links: dict[tuple[int, int], str] = {}

    def add(self, dirfd: int, name: str, arcname: str) -> None:
        """``name`` in ``dirfd`` (not followed) and, for a directory, all below it."""
        stack: list[tuple[int, str, list[str]]] = []
        try:
            sub = self._entry(dirfd, name, arcname)
            if sub is not None:
                stack.append(sub)
            while stack:
                fd, prefix, names = stack[-1]
                if not names:
                    os.close(fd)
                    stack.pop()
                    continue
                child = names.pop()
                sub = self._entry(fd, child, f"{prefix}/{child}" if prefix != "." else child)
                if sub is not None:
                    stack.append(sub)
        except OSError as e:
            if e.errno == 24:  # EMFILE: a tree deeper than the fds palletd may hold
                raise InvalidArgument("directory tree too deep to copy") from None
            raise
        finally:
            for fd, _, _ in stack:
                os.close(fd)

    def _entry(self, dirfd: int, name: str, arcname: str) -> tuple[int, str, list[str]] | None:
        try:
            st = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
        except FileNotFoundError:
            return None  # removed since it was listed
        if stat.S_ISREG(st.st_mode):
            self._file(dirfd, name, arcname, st)
            return None
        if stat.S_ISLNK(st.st_mode):
            try:
                target = os.readlink(name, dir_fd=dirfd)
            except OSError:
                return None
            info = tarinfo(st, arcname, target)
        else:
            info = tarinfo(st, arcname)
        if info is None:
            return None
        if not stat.S_ISDIR(st.st_mode):
            self.tf.addfile(info)
            return None
        try:
            fd = os.open(name, _OPEN_DIR, dir_fd=dirfd)
        except OSError:
            return None  # swapped for something else since the stat
        dst = os.fstat(fd)
        info = tarinfo(dst, arcname) or info
        self.tf.addfile(info)
        if dst.st_dev in self.skip_devs:
            os.close(fd)
            return None
        try:
            names = sorted(os.listdir(fd), reverse=True)
        except OSError:
            os.close(fd)
            raise
        return fd, arcname, names

    def _file(self, dirfd: int, name: str, arcname: str, st: os.stat_result) -> None:
        try:
            fd = os.open(name, _OPEN_FILE, dir_fd=dirfd)
        except OSError:
            return  # swapped for a symlink or removed since the stat
        with os.fdopen(fd, "rb", buffering=0) as f:
            fst = os.fstat(fd)
            if not stat.S_ISREG(fst.st_mode):
                info = tarinfo(fst, arcname)
                if info is not None and not stat.S_ISDIR(fst.st_mode):
                    self.tf.addfile(info)
                return
            key = (fst.st_dev, fst.st_ino)
            first = self.links.get(key) if fst.st_nlink > 1 else None
            if first is not None:
                link = tarinfo(fst, arcname, first)
                assert link is not None
                link.type, link.size = tarfile.LNKTYPE, 0
                self.tf.addfile(link)
                return
            if fst.st_nlink > 1:
                self.links[key] = arcname
            info = tarinfo(fst, arcname)
            assert info is not None
            self.tf.addfile(info, _Exact(f, info.size))
