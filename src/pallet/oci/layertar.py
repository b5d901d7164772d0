"""Apply a (possibly gzip'd) OCI/Docker layer tar onto a directory, safely.

Two whiteout modes:

* ``"delete"``: the target is the merged tree of all lower layers (plain-copy
  snapshots, imports); ``.wh.name`` deletes ``name``, ``.wh..wh..opq`` empties
  the directory of what earlier layers put there.
* ``"overlay"``: the target is an overlayfs upper/diff dir; ``.wh.name``
  becomes a 0:0 character device and ``.wh..wh..opq`` the
  ``trusted.overlay.opaque=y`` xattr (as Docker's overlay2 does). Needs root.

Safety: member names are cleaned lexically (a leading ``/`` is dropped, a
``..`` that would leave the root is rejected); every parent directory is
resolved with openat2(RESOLVE_IN_ROOT), so symlinks planted by earlier entries
or present in the lower tree resolve *inside* the target; the last component
is never followed (O_NOFOLLOW / O_EXCL, symlinkat, mknodat); hardlink sources
resolve inside the target too. Owners, modes (setuid included), mtimes,
xattrs (``SCHILY.xattr.*``), hardlinks, symlinks, fifos and device nodes are
kept. The uncompressed stream is hashed while reading: the result carries the
layer's diff_id.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import os
import shutil
import stat
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Literal, cast

from pallet.errors import DataCorruption, InvalidArgument, Unsupported
from pallet.oci.digest import CHUNK, Digest
from pallet.oci.openat2 import open_beneath_nofollow, open_in_root

WHITEOUT_PREFIX = ".wh."
OPAQUE = ".wh..wh..opq"
WhiteoutMode = Literal["delete", "overlay"]
_DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC
_SKIP_XATTR_PREFIXES = ("trusted.overlay.", "user.overlay.", "user.fuseoverlayfs.")


@dataclass(frozen=True)
class ApplyResult:
    diff_id: Digest
    tar_size: int  # bytes of the uncompressed tar stream
    content_size: int  # bytes of regular-file content written
    entries: int


class HashingReader:
    """A read-only stream that hashes and counts what passes through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._h = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self._h.update(data)
        self.size += len(data)
        return data

    def drain(self) -> None:
        while self.read(CHUNK):
            pass

    @property
    def digest(self) -> Digest:
        return Digest.from_hex(self._h.hexdigest())


class _Prefixed:
    """``head`` followed by the rest of ``raw``: sniff magic bytes without seek or peek."""

    def __init__(self, head: bytes, raw: IO[bytes]) -> None:
        self._head = head
        self._raw = raw

    def read(self, n: int = -1) -> bytes:
        if not self._head:
            return self._raw.read(n)
        if n is None or n < 0:
            data, self._head = self._head + self._raw.read(), b""
            return data
        data, self._head = self._head[:n], self._head[n:]
        return data


def open_uncompressed(f: IO[bytes]) -> IO[bytes]:
    """Wrap ``f`` so that reads give the uncompressed tar (gzip detected by magic)."""
    head = b""
    while len(head) < 4:
        chunk = f.read(4 - len(head))
        if not chunk:
            break
        head += chunk
    if head == b"\x28\xb5\x2f\xfd":
        raise Unsupported("zstd-compressed layers are not supported")
    stream = cast(IO[bytes], _Prefixed(head, f))
    if head[:2] == b"\x1f\x8b":
        return cast(IO[bytes], gzip.GzipFile(fileobj=stream, mode="rb"))
    return stream


def clean_parts(name: str) -> list[str]:
    """Split a member name into safe components; raises if it climbs out of the root."""
    parts: list[str] = []
    for p in name.split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if not parts:
                raise InvalidArgument(f"invalid layer entry {name!r}: path escapes the target")
            parts.pop()
        else:
            parts.append(p)
    return parts


def apply_layer(
    src: BinaryIO | Path,
    target: Path,
    *,
    whiteouts: WhiteoutMode = "delete",
    skip: Callable[[str], bool] | None = None,
) -> ApplyResult:
    """Apply the layer ``src`` onto ``target`` (which must exist); returns its diff_id."""
    if isinstance(src, Path):
        with open(src, "rb") as f:
            return apply_layer(f, target, whiteouts=whiteouts, skip=skip)
    reader = HashingReader(open_uncompressed(src))
    applier = _Applier(target, whiteouts, skip)
    try:
        try:
            with tarfile.open(fileobj=reader, mode="r|", bufsize=CHUNK) as tf:  # type: ignore[call-overload]
                for member in tf:
                    applier.apply(tf, member)
            reader.drain()
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as e:
            raise DataCorruption(f"layer is truncated or not a valid tar: {e}") from None
        except (UnicodeError, ValueError) as e:
            raise DataCorruption(f"layer has an invalid entry: {e}") from None
        applier.finish()
    finally:
        applier.close()
    return ApplyResult(reader.digest, reader.size, applier.content_size, applier.entries)


class _Applier:
    def __init__(self, target: Path, mode: WhiteoutMode, skip: Callable[[str], bool] | None):
        self.root = os.open(target, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self.mode = mode
        self.skip = skip
        self.is_root = os.geteuid() == 0
        self.dirs: dict[str, int] = {}
        self.retired: list[int] = []  # fds dropped from the cache, closed between members
        self.added: set[str] = set()
        self.deferred: list[tuple[str, tarfile.TarInfo]] = []
        self.content_size = 0
        self.entries = 0

    # -- directory fds ---------------------------------------------------
    def close(self) -> None:
        self._drop_cache()
        self._close_retired()
        os.close(self.root)

    def _drop_cache(self) -> None:
        # A removal may invalidate any cached resolution (through symlinks too); the fds
        # stay open until the current member is done, so callers' dirfds remain valid.
        self.retired.extend(self.dirs.values())
        self.dirs.clear()

    def _close_retired(self) -> None:
        for fd in self.retired:
            os.close(fd)
        self.retired.clear()

    def _dirfd(self, parts: list[str], name: str, create: bool = True) -> int:
        key = "/".join(parts)
        fd = self.dirs.get(key)
        if fd is not None:
            return fd
        try:
            fd = open_in_root(self.root, key, _DIR_FLAGS)
        except FileNotFoundError:
            if not create or not parts:
                raise InvalidArgument(
                    f"layer entry {name!r}: {key or '/'} does not exist"
                ) from None
            parent = self._dirfd(parts[:-1], name)
            try:
                os.mkdir(parts[-1], 0o755, dir_fd=parent)
            except FileExistsError:
                pass
            try:
                fd = open_in_root(self.root, key, _DIR_FLAGS)
            except OSError as e:
                raise InvalidArgument(
                    f"layer entry {name!r}: cannot create {key}: {e.strerror}"
                ) from None
        except OSError as e:
            raise InvalidArgument(
                f"layer entry {name!r}: cannot resolve {key}: {e.strerror}"
            ) from None
        self.dirs[key] = fd
        return fd

    def _lstat(self, dirfd: int, base: str) -> os.stat_result | None:
        try:
            return os.stat(base, dir_fd=dirfd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def _remove(self, dirfd: int, base: str, st: os.stat_result | None = None) -> None:
        st = st or self._lstat(dirfd, base)
        if st is None:
            return
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(base, dir_fd=dirfd)
        else:
            os.unlink(base, dir_fd=dirfd)
        self._drop_cache()

    # -- members ---------------------------------------------------------
    def apply(self, tf: tarfile.TarFile, m: tarfile.TarInfo) -> None:
        if self.retired:
            self._close_retired()
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
        dirfd = self._dirfd(parts[:-1], m.name)
        existing = self._lstat(dirfd, base)
        if m.isdir():
            if existing is None or not stat.S_ISDIR(existing.st_mode):
                self._remove(dirfd, base, existing)
                os.mkdir(base, 0o700, dir_fd=dirfd)
            self.deferred.append((path, m))
        elif m.islnk():
            self._hardlink(dirfd, base, existing, m)
        else:
            if existing is not None:
                self._remove(dirfd, base, existing)
            if m.isreg():
                self._regular(tf, dirfd, base, m)
            elif m.issym():
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
            if self.is_root:
                os.fchown(fd, m.uid, m.gid)
            os.fchmod(fd, m.mode & 0o7777)
            self._xattrs(fd, m)
            os.utime(fd, ns=_ns(m))
        finally:
            os.close(fd)

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
        tdir = self._dirfd(tparts[:-1], m.name, create=False)
        tst = self._lstat(tdir, tparts[-1])
        if tst is None:
            raise InvalidArgument(
                f"layer entry {m.name!r}: hardlink target {m.linkname!r} not found"
            )
        if stat.S_ISDIR(tst.st_mode):
            raise InvalidArgument(f"layer entry {m.name!r}: hardlink to a directory")
        if existing is not None:
            if (existing.st_dev, existing.st_ino) == (tst.st_dev, tst.st_ino):
                return
            self._remove(dirfd, base, existing)
        os.link(tparts[-1], base, src_dir_fd=tdir, dst_dir_fd=dirfd, follow_symlinks=False)

    def _whiteout(self, parts: list[str], name: str) -> None:
        base = parts[-1]
        try:
            dirfd = self._dirfd(parts[:-1], name, create=self.mode == "overlay")
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
                    self._remove(dirfd, child)
            return
        if base.startswith(WHITEOUT_PREFIX + WHITEOUT_PREFIX):
            return  # other AUFS metadata (.wh..wh.plnk, ...)
        victim = base[len(WHITEOUT_PREFIX) :]
        if victim in ("", ".", ".."):
            raise InvalidArgument(f"invalid whiteout {name!r}")
        self._remove(dirfd, victim)
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
                if self.is_root and e.errno not in (errno.ENOTSUP, errno.EOPNOTSUPP):
                    raise

    def finish(self) -> None:
        """Directory owners, modes, xattrs and mtimes, once their content is in place."""
        self._drop_cache()
        self._close_retired()
        for path, m in reversed(self.deferred):
            try:
                fd = open_beneath_nofollow(self.root, path, os.O_RDONLY | os.O_DIRECTORY)
            except OSError:
                continue  # replaced later in the layer by a non-directory
            try:
                if self.is_root:
                    os.fchown(fd, m.uid, m.gid)
                os.fchmod(fd, m.mode & 0o7777)
                self._xattrs(fd, m)
                os.utime(fd, ns=_ns(m))
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


def scan_layer(src: Path) -> ApplyResult:
    """Hash and measure a layer without extracting it (diff_id, sizes, entry count)."""
    with open(src, "rb") as raw:
        reader = HashingReader(open_uncompressed(raw))
        content = entries = 0
        try:
            with tarfile.open(fileobj=reader, mode="r|", bufsize=CHUNK) as tf:  # type: ignore[call-overload]
                for m in tf:
                    entries += 1
                    if m.isreg():
                        content += m.size
            reader.drain()
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as e:
            raise DataCorruption(f"layer is truncated or not a valid tar: {e}") from None
    return ApplyResult(reader.digest, reader.size, content, entries)
