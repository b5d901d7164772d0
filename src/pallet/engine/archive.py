"""``docker cp``: stat, read and write paths inside a container's filesystem.

Every step goes through file descriptors anchored at the container's root
(:mod:`pallet.engine.cproot`): parents are opened with openat2(RESOLVE_IN_ROOT),
last components with ``O_NOFOLLOW`` or ``*at`` calls on the parent's fd, trees are
read by :mod:`pallet.engine.fdtar` and written by the layer applier anchored at
the same root. A container process that swaps directories and symlinks while a
copy runs can make it fail or copy other files of the container, never reach the
host.
"""

from __future__ import annotations

import errno
import os
import stat
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pallet.engine.cproot import Anchor, ContainerFS
from pallet.engine.fdtar import TreeWriter
from pallet.errors import InvalidArgument, NotFound
from pallet.notation.times import rfc3339_of
from pallet.oci.layerpaths import clean_parts
from pallet.oci.layertar import apply_layer

# Go's os.FileMode type bits, which the docker CLI decodes from the stat header.
_GO_DIR = 1 << 31
_GO_SYMLINK = 1 << 27
_GO_NAMED_PIPE = 1 << 25
_GO_SOCKET = 1 << 24
_GO_DEVICE = 1 << 26
_GO_CHAR = 1 << 21
_GO_SETUID = 1 << 23
_GO_SETGID = 1 << 22
_GO_STICKY = 1 << 20


@dataclass(frozen=True)
class Stat:
    name: str
    size: int
    mode: int
    mtime: str
    link_target: str


def go_mode(st: os.stat_result) -> int:
    mode = st.st_mode & 0o777
    kind = stat.S_IFMT(st.st_mode)
    mode |= {stat.S_IFDIR: _GO_DIR, stat.S_IFLNK: _GO_SYMLINK, stat.S_IFIFO: _GO_NAMED_PIPE,
             stat.S_IFSOCK: _GO_SOCKET, stat.S_IFBLK: _GO_DEVICE,
             stat.S_IFCHR: _GO_DEVICE | _GO_CHAR}.get(kind, 0)
    if st.st_mode & stat.S_ISUID:
        mode |= _GO_SETUID
    if st.st_mode & stat.S_ISGID:
        mode |= _GO_SETGID
    if st.st_mode & stat.S_ISVTX:
        mode |= _GO_STICKY
    return mode


def _lstat(anchor: Anchor, parts: list[str], path: str) -> os.stat_result:
    try:
        parent, name = anchor.split(parts)
    except FileNotFoundError:
        raise NotFound(f"Could not find the file {path} in container") from None
    except OSError as e:
        if e.errno in (errno.ENOTDIR, errno.ELOOP):
            raise NotFound(f"Could not find the file {path} in container") from None
        raise InvalidArgument(f"cannot stat {path} in container: {e.strerror}") from None
    try:
        return os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        raise NotFound(f"Could not find the file {path} in container") from None
    except OSError as e:
        raise InvalidArgument(f"cannot stat {path} in container: {e.strerror}") from None
    finally:
        os.close(parent)


def stat_path(fs: ContainerFS, path: str) -> Stat:
    """``HEAD /containers/{id}/archive``: the entry at ``path``, a final symlink not followed."""
    if not path:
        raise InvalidArgument("path cannot be empty")
    if "\0" in path:
        raise InvalidArgument("path must not contain a NUL byte")
    anchor, at, rel = fs.locate(path)
    st = _lstat(anchor, rel, path)
    link = ""
    if stat.S_ISLNK(st.st_mode):
        link = "/" + "/".join([*at, *fs.resolve(anchor, rel, follow_last=True)])
    mtime = rfc3339_of(st.st_mtime)
    name = os.path.basename(path.rstrip("/")) or "/"
    return Stat(name, st.st_size, go_mode(st), mtime, link)


def tar_path(fs: ContainerFS, path: str) -> tuple[Stat, BinaryIO]:
    """A tar of ``path`` (its base name at the top), spooled to an unnamed temporary file
    and rewound, so the caller can stream it after the container's root is released."""
    st = stat_path(fs, path)
    if path.endswith("/.") or path == ".":
        arcname = "."
    else:
        arcname = st.name if st.name != "/" else "."
    anchor, _, rel = fs.locate(path)
    if st.link_target and path.endswith("/"):
        rel = fs.resolve(anchor, rel, follow_last=True)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    try:
        parent, name = anchor.split(rel)
        try:
            # what is copied, looked at once more: a dangling link's target is missing, and
            # a trailing slash asks for a directory (as dockerd answers both)
            top = os.stat(name, dir_fd=parent, follow_symlinks=False)
            if path.endswith("/") and not stat.S_ISDIR(top.st_mode):
                raise InvalidArgument(f"{path} in container is not a directory")
            with tarfile.open(fileobj=spool, mode="w|", format=tarfile.PAX_FORMAT) as tf:
                TreeWriter(tf, fs.skip_devs).add(parent, name, arcname)
        finally:
            os.close(parent)
        spool.seek(0)
    except OSError as e:
        spool.close()
        if e.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
            raise NotFound(f"Could not find the file {path} in container") from None
        raise InvalidArgument(f"cannot copy {path} from container: {e.strerror}") from None
    except BaseException:
        spool.close()
        raise
    return st, spool


def extract_to(fs: ContainerFS, path: str, archive: Path, no_overwrite_dir_non_dir: bool) -> None:
    """``PUT /containers/{id}/archive``: extract ``archive`` into the directory ``path``."""
    if "\0" in path:
        raise InvalidArgument("path must not contain a NUL byte")
    anchor, _, rel = fs.locate(path)
    if path.endswith("/") and stat.S_ISLNK(_lstat(anchor, rel, path).st_mode):
        raise InvalidArgument(f"destination {path} in container is not a directory")
    try:
        os.close(anchor.open(rel))
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.ELOOP):
            raise NotFound(f"Could not find the file {path} in container") from None
        if e.errno == errno.ENOTDIR:
            raise InvalidArgument(f"extraction point is not a directory: {path}") from None
        raise InvalidArgument(f"cannot copy to {path} in container: {e.strerror}") from None
    prefix = [*anchor.base, *fs.resolve(anchor, rel, follow_last=True)]
    try:
        if no_overwrite_dir_non_dir:
            _check_kinds(anchor, prefix, archive)
        apply_layer(archive, anchor.fd, whiteouts="delete", prefix=prefix)
    except OSError as e:
        raise InvalidArgument(f"cannot copy to {path} in container: {e.strerror}") from None
    except tarfile.TarError as e:
        raise InvalidArgument(f"the archive to copy to {path} is not a valid tar: {e}") from None


def _check_kinds(anchor: Anchor, prefix: list[str], archive: Path) -> None:
    """Refuse to replace a directory with a non-directory or the reverse (``docker cp``'s
    default), before anything is written."""
    target = Anchor(anchor.fd, prefix)
    with tarfile.open(archive) as tf:
        for m in tf:
            parts = clean_parts(m.name)
            if not parts:
                continue
            try:
                parent, name = target.split(parts)
            except OSError:
                continue  # its directory is new: nothing there to overwrite
            try:
                is_dir = stat.S_ISDIR(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode)
            except OSError:
                continue
            finally:
                os.close(parent)
            if is_dir != m.isdir():
                kind = "directory" if is_dir else "non-directory"
                raise InvalidArgument(
                    f"cannot overwrite {kind} {m.name!r} with "
                    f"{'directory' if m.isdir() else 'non-directory'}"
                )
