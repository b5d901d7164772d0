"""Resolve a path inside a root directory as if the root were ``/``.

Symlinks are followed, but absolute targets and ``..`` are evaluated against
the root, so the result never leaves it (the same rule as a chroot). Used for
everything pallet reads or writes inside a container's filesystem from the
host side: ``/etc/passwd`` lookups, ``cp`` in both directions.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from pallet.errors import InvalidArgument

_MAX_LINKS = 255


def resolve_parts(path: str, readlink: Callable[[list[str]], str | None], *,
                  follow_last: bool = True) -> list[str]:
    """The components of ``path`` with every symlink resolved inside a root.

    ``readlink(parts)`` answers the target of the symlink at ``parts`` (None when
    that is not a symlink or does not exist): the disk for ``secure_join``, a
    tar's index for the build context.
    """
    pending = [p for p in path.split("/") if p not in ("", ".")]
    pending.reverse()
    current: list[str] = []
    links = 0
    while pending:
        part = pending.pop()
        if part == "..":
            if current:
                current.pop()
            continue
        target = readlink([*current, part]) if follow_last or pending else None
        if target is not None:
            links += 1
            if links > _MAX_LINKS:
                raise InvalidArgument(f"too many levels of symbolic links in {path}")
            if target.startswith("/"):
                current = []
            pending.extend(reversed([p for p in target.split("/") if p not in ("", ".")]))
            continue
        current.append(part)
    return current


def secure_join(root: Path, path: str, *, follow_last: bool = True) -> Path:
    """``root/path`` with every symlink resolved inside ``root``.

    Missing components are fine (the remainder is appended literally), so the
    result can name a file about to be created. With ``follow_last=False`` a
    final symlink is not followed (``cp`` of a link copies the link).
    """
    root = Path(os.path.abspath(root))

    def readlink(parts: list[str]) -> str | None:
        candidate = root.joinpath(*parts)
        try:
            if stat.S_ISLNK(os.lstat(candidate).st_mode):
                return os.readlink(candidate)
        except FileNotFoundError:
            pass
        return None

    return root.joinpath(*resolve_parts(path, readlink, follow_last=follow_last))


def read_inside(root: Path, path: str, limit: int = 1 << 20) -> str | None:
    """The text of ``path`` inside ``root`` (None if absent or not a regular file)."""
    target = secure_join(root, path)
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, limit).decode(errors="replace")
    finally:
        os.close(fd)
