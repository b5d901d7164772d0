"""``cp`` between a container and the local filesystem, through the archive
endpoints; ``-`` streams a tar on stdin/stdout."""

from __future__ import annotations

import os
import posixpath
import sys

from pallet.cli.errors import StatusError
from pallet.cli.flags import argument, command, option
from pallet.cli.session import api
from pallet.cli.tarcopy import extract, make_tar
from pallet.cli.terminal import is_tty
from pallet.cli.util import echo
from pallet.client.archive import STAT_HEADER, decode_stat
from pallet.errors import InvalidArgument, NotFound
from pallet.notation.sizes import human_size

MODE_SYMLINK = 1 << 27  # Go's os.ModeSymlink, as the stat header carries it


def _split(arg: str) -> tuple[str | None, str]:
    """``ctr:/path`` -> ("ctr", "/path"); local paths (``./a:b``, ``/x``) -> (None, arg)."""
    if arg.startswith(("/", ".")) or ":" not in arg:
        return None, arg
    ctr, _, path = arg.partition(":")
    return ctr, path


@command()
@option("-a", "--archive", is_flag=True, help="Archive mode (copy all uid/gid information)")
@option("-L", "--follow-link", is_flag=True, help="Always follow symbol link in SRC_PATH")
@option("-q", "--quiet", is_flag=True, help="Suppress progress output during copy")
@argument("src")
@argument("dst")
def cp(archive: bool, follow_link: bool, quiet: bool, src: str, dst: str) -> None:
    """Copy files/folders between a container and the local filesystem."""
    src_ctr, src_path = _split(src)
    dst_ctr, dst_path = _split(dst)
    if src_ctr and dst_ctr:
        raise StatusError(1, "copying between containers is not supported")
    if not src_ctr and not dst_ctr:
        raise StatusError(1, "must specify at least one container source")
    try:
        if src_ctr:
            size = _from_container(src_ctr, src_path, dst_path, follow_link)
            where = dst_path
        else:
            assert dst_ctr is not None
            size = _to_container(src_path, dst_ctr, dst_path, follow_link)
            where = dst
    except InvalidArgument as err:
        raise StatusError(1, err.message) from None
    # docker: progress is suppressed unless stdout is a terminal (or with -q)
    if not quiet and dst_path != "-" and src_path != "-" and is_tty(sys.stdout):
        echo(f"Successfully copied {human_size(size)} to {where}", err=True)


def _followed(ctr: str, path: str) -> tuple[str, str | None]:
    """``-L``: a symlink SRC_PATH is copied as what it points to, under the link's own name
    (the path to fetch, the name to give it); the daemon's stat resolves the whole chain."""
    try:
        stat = api().archive.stat(ctr, path)
    except NotFound:
        return path, None
    target = str(stat.get("linkTarget") or "")
    if not int(stat.get("mode", 0)) & MODE_SYMLINK or not target:
        return path, None
    if not target.startswith("/"):
        target = posixpath.join(posixpath.dirname(path.rstrip("/")) or "/", target)
    return target, posixpath.basename(path.rstrip("/")) or None


def _from_container(ctr: str, path: str, dst: str, follow: bool) -> int:
    name: str | None = None
    if follow:
        path, name = _followed(ctr, path)
    resp = api().archive.get(ctr, path)
    if dst == "-":
        out = sys.stdout.buffer
        total = 0
        for chunk in resp.chunks():
            out.write(chunk)
            total += len(chunk)
        out.flush()
        return total
    stat = decode_stat(resp.headers.get(STAT_HEADER))
    src_name = str(stat.get("name") or os.path.basename(path.rstrip("/")) or "/")
    contents_only = path.endswith("/.")
    if os.path.isdir(dst):
        dest_dir, new_root = dst, (None if contents_only else name or src_name)
    else:
        if dst.endswith("/"):
            raise InvalidArgument(f"destination directory {dst} must exist")
        parent = os.path.dirname(os.path.abspath(dst))
        if not os.path.isdir(parent):
            raise InvalidArgument(f"no such directory: {parent}")
        dest_dir, new_root = parent, os.path.basename(dst)
    with resp.raw as raw:
        try:
            return extract(raw, dest_dir, old_root=src_name, new_root=new_root)  # type: ignore[arg-type]
        finally:
            resp.close()


def _to_container(src: str, ctr: str, dst: str, follow: bool) -> int:
    client = api()
    if src == "-":
        client.archive.put(ctr, dst, sys.stdin.buffer)
        return 0
    if not os.path.lexists(src):
        raise InvalidArgument(f"lstat {os.path.abspath(src)}: no such file or directory")
    src_is_dir = os.path.isdir(src)
    name = os.path.basename(os.path.normpath(src))
    try:
        stat = client.archive.stat(ctr, dst)
        exists = True
    except NotFound:
        stat, exists = {}, False
    dst_is_dir = exists and bool(int(stat.get("mode", 0)) & (1 << 31))
    if dst_is_dir:
        target_dir, arcname = dst, name
    else:
        if dst.endswith("/") and not exists:
            raise InvalidArgument(f"destination directory {dst} must exist")
        if exists and src_is_dir:
            raise InvalidArgument("cannot copy a directory to a file")
        target_dir = os.path.dirname(dst.rstrip("/")) or "/"
        arcname = os.path.basename(dst.rstrip("/"))
    if src.endswith("/.") and src_is_dir and dst_is_dir:
        arcname = "."
    tar = make_tar(src, arcname, follow_root=follow)
    size = tar.seek(0, os.SEEK_END)
    tar.seek(0)
    try:
        client.archive.put(ctr, target_dir, tar.read())
    finally:
        tar.close()
    return size
