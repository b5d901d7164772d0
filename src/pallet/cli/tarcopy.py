"""Client-side tar for ``cp``: build a tar of a local path, and extract a
container's tar into a local directory without escaping it (absolute names,
``..``, writing through symlinks, hardlinks to outside, device nodes)."""

from __future__ import annotations

import os
import posixpath
import tarfile
import tempfile

from pallet.errors import InvalidArgument

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from typing import IO


def _whole_seconds(member: tarfile.TarInfo) -> tarfile.TarInfo:
    """docker's archive truncates times to seconds: no PAX record for a float mtime."""
    member.mtime = int(member.mtime)
    return member


def make_tar(src: str, arcname: str, follow_root: bool = False) -> IO[bytes]:
    """A seekable tar of ``src`` with its root entry named ``arcname``."""
    spool = tempfile.SpooledTemporaryFile(max_size=16 << 20)  # noqa: SIM115 - returned
    path = os.path.realpath(src) if follow_root else src
    with tarfile.open(fileobj=spool, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(path, arcname=arcname, recursive=True, filter=_whole_seconds)
        end = tar.offset + 2 * tarfile.BLOCKSIZE
    # drop the padding to a 10 KiB record that Python adds (Go's tar writes none),
    # so cp reports the size docker does ("Successfully copied 2.05kB")
    spool.truncate(end)
    spool.seek(0)
    return spool


def _rename(name: str, old_root: str, new_root: str | None) -> str | None:
    """Re-root a member name; None drops it (the root itself when stripping)."""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts:
        return None
    if parts[0] == old_root:
        rest = parts[1:]
        if new_root is None:
            return "/".join(rest) if rest else None
        return "/".join([new_root, *rest])
    return "/".join(parts)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def extract(fileobj: IO[bytes], dest: str, old_root: str = "", new_root: str | None = "") -> int:
    """Extract into ``dest``; members under ``old_root`` are re-rooted at
    ``new_root`` (``None`` = contents only). Returns the archive's length up to
    its end blocks, the size docker reports (its tar reader stops there)."""
    root = os.path.realpath(dest)

    def check(member: tarfile.TarInfo, _path: str) -> tarfile.TarInfo | None:
        name = member.name
        if name.startswith("/") or ".." in name.split("/"):
            raise InvalidArgument(f"refusing to extract {name!r}: path escapes the destination")
        if old_root and new_root != old_root:
            renamed = _rename(name, old_root, new_root)
            if renamed is None:
                return None
            name = renamed
        name = posixpath.normpath(name)
        target = os.path.join(root, name)
        parent = os.path.realpath(os.path.dirname(target))
        if not _inside(parent, root):
            raise InvalidArgument(f"refusing to extract {name!r}: path escapes the destination")
        if member.ischr() or member.isblk() or member.isfifo():
            return None
        if member.islnk():
            link_name = member.linkname
            if old_root and new_root != old_root:
                link_name = _rename(link_name, old_root, new_root) or ""
            link = os.path.realpath(os.path.join(root, link_name))
            if not link_name or link_name.startswith("/") or not _inside(link, root):
                raise InvalidArgument(f"refusing to extract hardlink {name!r} to outside")
            member = member.replace(linkname=link_name, deep=False)
        if os.path.islink(target) and not member.isdir():
            os.unlink(target)
        elif not member.issym() and os.path.lexists(target):
            real = os.path.realpath(target)
            if not _inside(real, root):
                raise InvalidArgument(f"refusing to extract {name!r}: path escapes the destination")
        mode = member.mode & 0o777 if member.mode is not None else None
        return member.replace(name=name, mode=mode, deep=False)

    with tarfile.open(fileobj=fileobj, mode="r|*") as tar:
        tar.extractall(root, filter=check)
        return tar.offset + 2 * tarfile.BLOCKSIZE
