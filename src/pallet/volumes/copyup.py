"""Docker's volume copy-up: an empty volume receives the image's directory on first use.

When a container mounts an empty volume over a directory of its image, that directory's
content is copied into the volume with owners, modes, times, extended attributes and hard
links kept, and the volume's own directory takes the source directory's owner and mode (so a
non-root service such as redis can write its fresh volume). A source directory that is empty
still hands over its owner and mode.

Everything works on directory file descriptors: the source is resolved inside the
container's root (``open_in_root``: openat2 ``RESOLVE_IN_ROOT``, so an absolute symlink or
``..`` in the image resolves inside it), and the walk opens every entry relative to its
parent with ``O_NOFOLLOW``: a symlink is copied as a symlink and never followed, so nothing
in either tree can redirect a read or a write outside them. A failure removes what the copy
made and raises: nothing half-copied is left behind, and nothing of anyone else's.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import os
import shutil
import stat
from pathlib import Path

from pallet.errors import PalletError
from pallet.oci.openat2 import open_in_root

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_CHUNK = 1 << 30


class CopyUp(enum.Enum):
    COPIED = "copied"          # the volume took the directory (its content, owner and mode)
    NOT_EMPTY = "not-empty"    # the volume already holds data: left alone
    NO_SOURCE = "no-source"    # the image has no directory there: nothing to copy


def copy_up(rootfs: Path, destination: str, volume: Path) -> CopyUp:
    """Copy ``rootfs``/``destination`` into the directory ``volume`` if that is empty."""
    dst = os.open(volume, _DIR)
    try:
        if os.listdir(dst):
            return CopyUp.NOT_EMPTY
        src = _open_source(rootfs, destination)
        if src is None:
            return CopyUp.NO_SOURCE
        tree = _Tree()
        try:
            tree.copy(src, dst)
            _meta(src, dst, os.fstat(src))
        except OSError as e:
            _remove(dst, tree.made)
            raise PalletError(f"copying the image's {destination} into volume {volume.parent.name}:"
                              f" {e.strerror or e}") from None
        finally:
            os.close(src)
    finally:
        os.close(dst)
    return CopyUp.COPIED


def _open_source(rootfs: Path, destination: str) -> int | None:
    root = os.open(rootfs, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        return open_in_root(root, destination, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP, errno.EXDEV):
            return None
        raise
    finally:
        os.close(root)


class _Tree:
    """One recursive copy; remembers multiply-linked files to link them again."""

    def __init__(self) -> None:
        self.links: dict[tuple[int, int], tuple[int, str]] = {}
        self.made: list[str] = []  # top-level names this copy created (removed on failure)

    def copy(self, src: int, dst: int) -> None:
        try:
            self._dir(src, dst, top=True)
        finally:
            for fd, _ in self.links.values():
                os.close(fd)

    def _dir(self, src: int, dst: int, top: bool = False) -> None:
        for name in sorted(os.listdir(src)):
            st = os.stat(name, dir_fd=src, follow_symlinks=False)
            kind = stat.S_IFMT(st.st_mode)
            if kind == stat.S_IFDIR:
                os.mkdir(name, 0o700, dir_fd=dst)
                self._made(name, top)
                s2 = os.open(name, _DIR, dir_fd=src)
                try:
                    d2 = os.open(name, _DIR, dir_fd=dst)
                    try:
                        self._dir(s2, d2)
                        _meta(s2, d2, st)
                    finally:
                        os.close(d2)
                finally:
                    os.close(s2)
            elif kind == stat.S_IFREG:
                self._file(src, dst, name, st, top)
            elif kind == stat.S_IFLNK:
                os.symlink(os.readlink(name, dir_fd=src), name, dir_fd=dst)
                self._made(name, top)
                os.chown(name, st.st_uid, st.st_gid, dir_fd=dst, follow_symlinks=False)
                os.utime(name, ns=(st.st_atime_ns, st.st_mtime_ns), dir_fd=dst,
                         follow_symlinks=False)
            elif kind in (stat.S_IFIFO, stat.S_IFCHR, stat.S_IFBLK):
                os.mknod(name, kind | 0o600, st.st_rdev, dir_fd=dst)
                self._made(name, top)
                fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dst)
                try:
                    path = f"/proc/self/fd/{fd}"  # chmod/chown the node itself, not a path
                    os.chown(path, st.st_uid, st.st_gid)
                    os.chmod(path, stat.S_IMODE(st.st_mode))
                    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
                finally:
                    os.close(fd)
            # sockets are not content: Docker's copy leaves them out too

    def _made(self, name: str, top: bool) -> None:
        """Note a top-level entry right after creating it (O_EXCL, mkdir, ...), so a failure
        removes what this copy made, and never an entry someone else made first."""
        if top:
            self.made.append(name)

    def _file(self, src: int, dst: int, name: str, st: os.stat_result, top: bool) -> None:
        key = (st.st_dev, st.st_ino)
        if st.st_nlink > 1 and key in self.links:
            first_dir, first_name = self.links[key]
            os.link(first_name, name, src_dir_fd=first_dir, dst_dir_fd=dst,
                    follow_symlinks=False)
            self._made(name, top)
            return
        s = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=src)
        try:
            d = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                        0o600, dir_fd=dst)
            self._made(name, top)
            try:
                _data(s, d, st.st_size)
                _meta(s, d, st)
            finally:
                os.close(d)
        finally:
            os.close(s)
        if st.st_nlink > 1:
            self.links[key] = (os.dup(dst), name)


def _data(s: int, d: int, size: int) -> None:
    try:
        while os.copy_file_range(s, d, _CHUNK):
            pass
        return
    except OSError as e:
        if e.errno not in (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise
    os.lseek(s, 0, os.SEEK_SET)
    os.lseek(d, 0, os.SEEK_SET)
    os.ftruncate(d, 0)
    while os.sendfile(d, s, None, _CHUNK):
        pass


def _meta(s: int, d: int, st: os.stat_result) -> None:
    """Owner, then mode (a chown clears set-id bits), xattrs and times, all through fds."""
    os.fchown(d, st.st_uid, st.st_gid)
    os.fchmod(d, stat.S_IMODE(st.st_mode))
    with contextlib.suppress(OSError):
        for attr in os.listxattr(s):
            with contextlib.suppress(OSError):
                os.setxattr(d, attr, os.getxattr(s, attr))
    os.utime(d, ns=(st.st_atime_ns, st.st_mtime_ns))


def _remove(dst: int, names: list[str]) -> None:
    """Remove the entries ``names`` of the directory ``dst`` (best effort, on failure)."""
    for name in names:
        with contextlib.suppress(OSError):
            st = os.stat(name, dir_fd=dst, follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                shutil.rmtree(name, dir_fd=dst)
            else:
                os.unlink(name, dir_fd=dst)
