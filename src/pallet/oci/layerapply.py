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

Speed: on a fresh (empty) target, files and symlinks are created by
:class:`~pallet.oci.layerwriters.Writers` threads while the parser goes on (see
:mod:`pallet.oci.layerpaths` for what fresh allows), and metadata costs only the
calls that change something: an inode is created with its final permission bits
(as far as the umask keeps them), chown only when the owner differs from the one a
new inode gets, chmod only for what creation could not set, xattrs only when the
member has some.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
import tarfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from pallet.errors import InvalidArgument
from pallet.oci.layerpaths import Kind, RootDirs, clean_parts
from pallet.oci.layerwriters import ASYNC_MAX, Writers
from pallet.oci.tarmembers import TarMembers

WHITEOUT_PREFIX = ".wh."
OPAQUE = ".wh..wh..opq"
WhiteoutMode = Literal["delete", "overlay"]
_SKIP_XATTR_PREFIXES = ("trusted.overlay.", "user.overlay.", "user.fuseoverlayfs.")
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
UNKNOWN = -1  # the permission bits an inode was created with, when not known


def current_umask() -> int:
    """The process umask, read without setting it (other threads create files too)."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o777  # unknown: every mode is then set explicitly


class LayerApplier:
    """Applies the members of one tar stream, in order, onto ``target``."""

    def __init__(self, target: Path | int, mode: WhiteoutMode,
                 skip: Callable[[str], bool] | None, prefix: Sequence[str] = ()) -> None:
        self.tree = RootDirs(target, prefix)
        self.mode = mode
        self.skip = skip
        self.is_root = os.geteuid() == 0
        self.umask = current_umask()
        # the owner a new inode gets: known in a fresh target (no setgid directory)
        fresh_owner = self.tree.fresh and not os.fstat(self.tree.root).st_mode & stat.S_ISGID
        self.new_owner = (os.geteuid(), os.getegid()) if fresh_owner else None
        self.writers: Writers | None = None
        self.tree.settle = self.settle
        self.added: set[str] = set()
        self.deferred: list[tuple[str, tarfile.TarInfo, int]] = []
        self.content_size = 0
        self.entries = 0

    def settle(self) -> None:
        """Wait for the creations handed to the writer threads (raises their error)."""
        if self.writers is not None:
            self.writers.wait()

    def _submit(self, job: Callable[[], None]) -> None:
        if self.writers is None:
            self.writers = Writers()
        self.writers.submit(job)

    def close(self) -> None:
        if self.writers is not None:
            self.writers.close()
        self.tree.close()

    # -- members ---------------------------------------------------------
    def apply(self, tf: TarMembers, m: tarfile.TarInfo) -> None:
        if self.tree.retired:
            self.tree.close_retired()
        if "\0" in m.name or "\0" in m.linkname:
            # refused before any path work, so an empty target and a lower tree agree
            raise ValueError("embedded null byte")
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
        if m.islnk():
            self.settle()  # its target may be a creation still in flight
        fresh, kind = self.tree.known(path)
        existing = None if fresh else self.tree.lstat(dirfd, base)
        is_dir = kind is Kind.DIR or (existing is not None and stat.S_ISDIR(existing.st_mode))
        if m.isdir():
            perm = UNKNOWN
            if not is_dir:
                if existing is not None:
                    self.tree.remove(dirfd, base, existing)
                perm = m.mode & 0o755 if self.is_root else 0o700
                os.mkdir(base, perm, dir_fd=dirfd)
                # in a setgid directory a new one is setgid too: its mode is not ours
                perm = perm & ~self.umask if self.new_owner is not None else UNKNOWN
                self._made(path, Kind.DIR)
            self.deferred.append((path, m, perm))
        elif m.islnk():
            if kind is Kind.DIR:
                existing = self.tree.lstat(dirfd, base)
            self._hardlink(dirfd, base, existing, m)
            self._made(path, Kind.OTHER)
        else:
            if kind is not None or existing is not None:
                self.tree.remove(dirfd, base, existing)
            if m.isreg():
                self._regular(tf, dirfd, base, m, path)
            elif m.issym():
                if not m.linkname:  # the kernel has no empty symlinks
                    raise InvalidArgument(f"layer entry {m.name!r}: symlink with no target")
                if self.tree.fresh:
                    self.tree.kinds[path] = Kind.SYMLINK
                    self._submit(functools.partial(self._symlink, dirfd, base, m))
                else:
                    self._symlink(dirfd, base, m)
            elif m.ischr() or m.isblk() or m.isfifo():
                self._node(dirfd, base, m)
                self._made(path, Kind.OTHER)
            else:
                return  # sockets and unknown types: nothing to create
        self.added.add(path)

    def _made(self, path: str, kind: Kind) -> None:
        if self.tree.fresh:
            self.tree.kinds[path] = kind

    def _regular(self, tf: TarMembers, dirfd: int, base: str, m: tarfile.TarInfo,
                 path: str) -> None:
        self.content_size += m.size
        if self.tree.fresh and m.size <= ASYNC_MAX:
            content = tf.data(m)
            self.tree.kinds[path] = Kind.OTHER
            self._submit(functools.partial(self._write_file, dirfd, base, m, content))
            return
        perm = m.mode & 0o777
        fd = os.open(base, _FILE_FLAGS, perm, dir_fd=dirfd)
        try:
            for chunk in tf.chunks(m):
                _write_all(fd, chunk)
            self._fd_meta(fd, m, perm & ~self.umask)
        finally:
            os.close(fd)

    def _write_file(self, dirfd: int, base: str, m: tarfile.TarInfo, content: bytes) -> None:
        perm = m.mode & 0o777
        fd = os.open(base, _FILE_FLAGS, perm, dir_fd=dirfd)
        try:
            if content:
                _write_all(fd, content)
            self._fd_meta(fd, m, perm & ~self.umask)
        finally:
            os.close(fd)

    def _symlink(self, dirfd: int, base: str, m: tarfile.TarInfo) -> None:
        os.symlink(m.linkname, base, dir_fd=dirfd)
        self._owner(base, dirfd, m, follow=False)
        os.utime(base, ns=_ns(m), dir_fd=dirfd, follow_symlinks=False)

    def _fd_meta(self, fd: int, m: tarfile.TarInfo, created: int) -> None:
        """The member's owner (as root), mode, xattrs and mtime, on an open fd; ``created``
        is the permission bits the inode has now (UNKNOWN: set them whatever they are)."""
        if self.is_root and (m.uid, m.gid) != self.new_owner:
            os.fchown(fd, m.uid, m.gid)
        mode = m.mode & 0o7777
        if mode != created:
            os.fchmod(fd, mode)
        if m.pax_headers:
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
            self.tree.unfresh()  # what is listed must be there
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
        vpath = f"{dirkey}/{victim}".lstrip("/")
        if self.tree.known(vpath) != (True, None):  # something may be there
            self.tree.remove(dirfd, victim)
        if self.mode == "overlay":
            os.mknod(victim, stat.S_IFCHR | 0o000, os.makedev(0, 0), dir_fd=dirfd)
            self._made(vpath, Kind.OTHER)

    # -- metadata ----------------------------------------------------------
    def _owner(self, base: str, dirfd: int, m: tarfile.TarInfo, follow: bool) -> None:
        if self.is_root and (m.uid, m.gid) != self.new_owner:
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
        self.settle()
        self.tree.drop_cache()
        self.tree.close_retired()
        done: set[str] = set()
        for path, m, perm in reversed(self.deferred):
            if path in done:  # a later entry of the same directory has set its mode
                perm = UNKNOWN
            done.add(path)
            try:
                fd = self.tree.open_nofollow(path, os.O_RDONLY | os.O_DIRECTORY)
            except OSError:
                continue  # replaced later in the layer by a non-directory
            try:
                self._fd_meta(fd, m, perm)
            finally:
                os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _ns(m: tarfile.TarInfo) -> tuple[int, int]:
    t = int(m.mtime * 1_000_000_000)
    return (t, t)


def _setxattr_path(dirfd: int, attr: str, value: bytes) -> None:
    fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=dirfd)
    try:
        os.setxattr(fd, attr, value)
    finally:
        os.close(fd)
