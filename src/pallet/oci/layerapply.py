"""Write one layer tar's members into a target directory without escaping it.

Two whiteout modes:

* ``"delete"``: the target is the merged tree of all lower layers (plain-copy
  snapshots, imports); ``.wh.name`` deletes ``name``, ``.wh..wh..opq`` empties
  the directory of what earlier layers put there.
* ``"overlay"``: the target is an overlayfs upper/diff dir; ``.wh.name``
  becomes a 0:0 character device and ``.wh..wh..opq`` the
  ``trusted.overlay.opaque=y`` xattr (as Docker's overlay2 does). Needs root.

Safety: member names are cleaned lexically (a leading ``/`` is dropped, a
``..`` that would leave the root is rejected); every parent directory is
resolved with openat2(RESOLVE_IN_ROOT) (:mod:`pallet.oci.layerpaths`), so
symlinks planted by earlier entries or present in the lower tree resolve
*inside* the target; the last component is never followed (O_NOFOLLOW /
O_EXCL, symlinkat, mknodat); hardlink sources resolve inside the target too.
Owners, modes (setuid included), mtimes, xattrs (``SCHILY.xattr.*``), hardlinks,
symlinks, fifos and device nodes are kept; directory metadata is set in
:meth:`LayerApplier.finish`.
"""

from __future__ import annotations

import errno
import os
import stat
import tarfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from pallet.errors import InvalidArgument
from pallet.oci.digest import CHUNK
from pallet.oci.layerpaths import RootDirs, clean_parts

WHITEOUT_PREFIX = ".wh."
OPAQUE = ".wh..wh..opq"
WhiteoutMode = Literal["delete", "overlay"]
_SKIP_XATTR_PREFIXES = ("trusted.overlay.", "user.overlay.", "user.fuseoverlayfs.")


class LayerApplier:
    """Applies the members of one tar stream, in order, onto ``target``."""

    def __init__(self, target: Path | int, mode: WhiteoutMode,
                 skip: Callable[[str], bool] | None, prefix: Sequence[str] = ()) -> None:
        self.tree = RootDirs(target, prefix)
        self.mode = mode
        self.skip = skip
        self.is_root = os.geteuid() == 0
        self.added: set[str] = set()
        self.deferred: list[tuple[str, tarfile.TarInfo]] = []
        self.content_size = 0
        self.entries = 0

    def close(self) -> None:
        self.tree.close()

    # -- members ---------------------------------------------------------
    def apply(self, tf: tarfile.TarFile, m: tarfile.TarInfo) -> None:
        if self.tree.retired:
            self.tree.close_retired()
        parts = clean_parts(m.name)
        if not parts:
            return
        path = "/".join(parts)
        if self.skip is not None and self.skip(path):
            return
        self.entries += 1
        base = parts[-1]
        if base.startswith(WHITEOUT_PREFIX):
            self._whiteout(parts, m.name)
            return
        dirfd = self.tree.dirfd(parts[:-1], m.name)
        existing = self.tree.lstat(dirfd, base)
        if m.isdir():
            if existing is None or not stat.S_ISDIR(existing.st_mode):
                self.tree.remove(dirfd, base, existing)
                os.mkdir(base, 0o700, dir_fd=dirfd)
            self.deferred.append((path, m))
        elif m.islnk():
            self._hardlink(dirfd, base, existing, m)
        else:
            if existing is not None:
                self.tree.remove(dirfd, base, existing)
            if m.isreg():
                self._regular(tf, dirfd, base, m)
            elif m.issym():
                if not m.linkname:  # the kernel has no empty symlinks
                    raise InvalidArgument(f"layer entry {m.name!r}: symlink with no target")
                os.symlink(m.linkname, base, dir_fd=dirfd)
                self._owner(base, dirfd, m, follow=False)
                os.utime(base, ns=_ns(m), dir_fd=dirfd, follow_symlinks=False)
            elif m.ischr() or m.isblk() or m.isfifo():
                self._node(dirfd, base, m)
            else:
                return  # sockets and unknown types: nothing to create
        self.added.add(path)

    def _regular(self, tf: tarfile.TarFile, dirfd: int, base: str, m: tarfile.TarInfo) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(base, flags, 0o600, dir_fd=dirfd)
        try:
            data = tf.extractfile(m)
            if data is not None:
                with os.fdopen(os.dup(fd), "wb", buffering=0) as out:
                    while chunk := data.read(CHUNK):
                        out.write(chunk)
                        self.content_size += len(chunk)
            self._owner_mode_times(fd, m)
        finally:
            os.close(fd)

    def _owner_mode_times(self, fd: int, m: tarfile.TarInfo) -> None:
        """The member's owner (as root), mode, xattrs and mtime, on an open fd."""
        if self.is_root:
            os.fchown(fd, m.uid, m.gid)
        os.fchmod(fd, m.mode & 0o7777)
        self._xattrs(fd, m)
        os.utime(fd, ns=_ns(m))

    def _node(self, dirfd: int, base: str, m: tarfile.TarInfo) -> None:
        kind = stat.S_IFCHR if m.ischr() else stat.S_IFBLK if m.isblk() else stat.S_IFIFO
        dev = os.makedev(m.devmajor, m.devminor) if kind != stat.S_IFIFO else 0
        try:
            os.mknod(base, kind | 0o600, dev, dir_fd=dirfd)
        except PermissionError:
            if self.is_root:
                raise
            return  # unprivileged: device nodes cannot be created (as rootless Docker)
        self._owner(base, dirfd, m, follow=False)
        os.chmod(base, m.mode & 0o7777, dir_fd=dirfd)  # just created: not a symlink
        os.utime(base, ns=_ns(m), dir_fd=dirfd, follow_symlinks=False)

    def _hardlink(
        self, dirfd: int, base: str, existing: os.stat_result | None, m: tarfile.TarInfo
    ) -> None:
        tparts = clean_parts(m.linkname)
        if not tparts:
            raise InvalidArgument(f"invalid hardlink {m.name!r} -> {m.linkname!r}")
        tdir = self.tree.dirfd(tparts[:-1], m.name, create=False)
        tst = self.tree.lstat(tdir, tparts[-1])
        if tst is None:
            raise InvalidArgument(
                f"layer entry {m.name!r}: hardlink target {m.linkname!r} not found"
            )
        if stat.S_ISDIR(tst.st_mode):
            raise InvalidArgument(f"layer entry {m.name!r}: hardlink to a directory")
        if existing is not None:
            if (existing.st_dev, existing.st_ino) == (tst.st_dev, tst.st_ino):
                return
            self.tree.remove(dirfd, base, existing)
        os.link(tparts[-1], base, src_dir_fd=tdir, dst_dir_fd=dirfd, follow_symlinks=False)

    def _whiteout(self, parts: list[str], name: str) -> None:
        base = parts[-1]
        try:
            dirfd = self.tree.dirfd(parts[:-1], name, create=self.mode == "overlay")
        except InvalidArgument:
            return  # parent absent or not a directory: nothing to delete
        dirkey = "/".join(parts[:-1])
        if base == OPAQUE:
            if self.mode == "overlay":
                _setxattr_path(dirfd, "trusted.overlay.opaque", b"y")
                return
            fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=dirfd)
            try:
                children = os.listdir(fd)
            finally:
                os.close(fd)
            for child in children:
                if f"{dirkey}/{child}".lstrip("/") not in self.added:
                    self.tree.remove(dirfd, child)
            return
        if base.startswith(WHITEOUT_PREFIX + WHITEOUT_PREFIX):
            return  # other AUFS metadata (.wh..wh.plnk, ...)
        victim = base[len(WHITEOUT_PREFIX) :]
        if victim in ("", ".", ".."):
            raise InvalidArgument(f"invalid whiteout {name!r}")
        self.tree.remove(dirfd, victim)
        if self.mode == "overlay":
            os.mknod(victim, stat.S_IFCHR | 0o000, os.makedev(0, 0), dir_fd=dirfd)

    # -- metadata ----------------------------------------------------------
    def _owner(self, base: str, dirfd: int, m: tarfile.TarInfo, follow: bool) -> None:
        if self.is_root:
            os.chown(base, m.uid, m.gid, dir_fd=dirfd, follow_symlinks=follow)

    def _xattrs(self, fd: int, m: tarfile.TarInfo) -> None:
        for key, value in m.pax_headers.items():
            if not key.startswith("SCHILY.xattr."):
                continue
            attr = key[len("SCHILY.xattr.") :]
            if attr.startswith(_SKIP_XATTR_PREFIXES):
                continue
            raw = value.encode("utf-8", "surrogateescape")
            try:
                os.setxattr(fd, attr, raw)
            except OSError as e:
                if e.errno in (errno.EINVAL, errno.ERANGE):
                    raise InvalidArgument(
                        f"layer entry {m.name!r}: invalid value for xattr {attr}") from None
                if self.is_root and e.errno not in (errno.ENOTSUP, errno.EOPNOTSUPP):
                    raise

    def finish(self) -> None:
        """Directory owners, modes, xattrs and mtimes, once their content is in place."""
        self.tree.drop_cache()
        self.tree.close_retired()
        for path, m in reversed(self.deferred):
            try:
                fd = self.tree.open_nofollow(path, os.O_RDONLY | os.O_DIRECTORY)
            except OSError:
                continue  # replaced later in the layer by a non-directory
            try:
                self._owner_mode_times(fd, m)
            finally:
                os.close(fd)


def _ns(m: tarfile.TarInfo) -> tuple[int, int]:
    t = int(m.mtime * 1_000_000_000)
    return (t, t)


def _setxattr_path(dirfd: int, attr: str, value: bytes) -> None:
    fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=dirfd)
    try:
        os.setxattr(fd, attr, value)
    finally:
        os.close(fd)
