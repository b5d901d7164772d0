"""``docker cp``: stat, read and write paths inside a container's filesystem.

Every path is resolved with ``secure_join`` against the container's root, so
symlinks inside the container cannot lead the host-side copy out of it. A
stopped container's root is mounted for the duration of the copy.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from pallet.errors import InvalidArgument, NotFound
from pallet.oci.layertar import apply_layer
from pallet.system.securejoin import secure_join

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


Binds = Mapping[str, Path]  # container path -> host file bind-mounted there


def _host_path(root: Path, path: str, binds: Binds, follow_last: bool = False) -> Path:
    clean = "/" + "/".join(p for p in path.split("/") if p not in ("", "."))
    if clean in binds:
        return binds[clean]
    return secure_join(root, path, follow_last=follow_last)


def stat_path(root: Path, path: str, binds: Binds | None = None) -> tuple[Path, Stat]:
    if not path:
        raise InvalidArgument("path cannot be empty")
    host = _host_path(root, path, binds or {})
    try:
        st = os.lstat(host)
    except FileNotFoundError:
        raise NotFound(f"Could not find the file {path} in container") from None
    except OSError as e:
        raise InvalidArgument(f"cannot stat {path} in container: {e.strerror}") from None
    link = ""
    if stat.S_ISLNK(st.st_mode):
        link = "/" + str(secure_join(root, path).relative_to(root))
    mtime = datetime.fromtimestamp(st.st_mtime, UTC).isoformat().replace("+00:00", "Z")
    name = os.path.basename(path.rstrip("/")) or "/"
    return host, Stat(name, st.st_size, go_mode(st), mtime, link)


def tar_path(root: Path, path: str, binds: Binds | None = None) -> tuple[Stat, BinaryIO]:
    """A tar of ``path`` (its base name at the top), spooled to an unnamed temporary file
    and rewound, so the caller can stream it after the container's root is unmounted."""
    host, st = stat_path(root, path, binds)
    if path.endswith("/.") or path == ".":
        arcname = "."
    else:
        arcname = st.name if st.name != "/" else "."
    if st.link_target and path.endswith("/"):
        host = secure_join(root, path)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    try:
        with tarfile.open(fileobj=spool, mode="w|", format=tarfile.PAX_FORMAT) as tf:
            _add(tf, host, arcname, root)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return st, spool


def _add(tf: tarfile.TarFile, host: Path, arcname: str, root: Path) -> None:
    """Add ``host`` recursively without following symlinks (they stay links)."""
    info = tf.gettarinfo(str(host), arcname)
    if info.isreg():
        with open(host, "rb") as f:
            tf.addfile(info, f)
        return
    tf.addfile(info)
    if info.isdir():
        for entry in sorted(os.listdir(host)):
            _add(tf, host / entry, f"{arcname}/{entry}" if arcname != "." else entry, root)


def extract_to(root: Path, path: str, archive: Path, no_overwrite_dir_non_dir: bool) -> None:
    """Extract ``archive`` into the directory ``path`` inside ``root``, safely."""
    try:
        _extract(root, path, archive, no_overwrite_dir_non_dir)
    except OSError as e:
        raise InvalidArgument(f"cannot copy to {path} in container: {e.strerror}") from None


def _extract(root: Path, path: str, archive: Path, no_overwrite_dir_non_dir: bool) -> None:
    target = secure_join(root, path)
    if path.endswith("/") and target.is_symlink():
        raise InvalidArgument(f"destination {path} in container is not a directory")
    if not target.exists():
        raise NotFound(f"Could not find the file {path} in container")
    if not target.is_dir():
        raise InvalidArgument(f"extraction point is not a directory: {path}")
    if no_overwrite_dir_non_dir:
        with tarfile.open(archive) as tf:
            for m in tf:
                existing = secure_join(target, m.name, follow_last=False)
                with contextlib.suppress(FileNotFoundError):
                    is_dir = stat.S_ISDIR(os.lstat(existing).st_mode)
                    if is_dir != m.isdir():
                        kind = "directory" if is_dir else "non-directory"
                        raise InvalidArgument(
                            f"cannot overwrite {kind} {m.name!r} with "
                            f"{'directory' if m.isdir() else 'non-directory'}"
                        )
    apply_layer(archive, target, whiteouts="delete")
