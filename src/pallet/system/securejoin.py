"""Resolve a path inside a root directory as if the root were ``/``.

Symlinks are followed, but absolute targets and ``..`` are evaluated against
the root, so the result never leaves it (the same rule as a chroot). Used for
everything pallet reads or writes inside a container's filesystem from the
host side: ``/etc/passwd`` lookups, ``cp`` in both directions.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pallet.errors import InvalidArgument

_MAX_LINKS = 255


def secure_join(root: Path, path: str, *, follow_last: bool = True) -> Path:
    """``root/path`` with every symlink resolved inside ``root``.

    Missing components are fine (the remainder is appended literally), so the
    result can name a file about to be created. With ``follow_last=False`` a
    final symlink is not followed (``cp`` of a link copies the link).
    """
    root = Path(os.path.abspath(root))
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
        candidate = root.joinpath(*current, part)
        try:
            st = os.lstat(candidate)
        except FileNotFoundError:
            current.append(part)
            continue
        is_last = not pending
        if stat.S_ISLNK(st.st_mode) and (follow_last or not is_last):
            links += 1
            if links > _MAX_LINKS:
                raise InvalidArgument(f"too many levels of symbolic links in {path}")
            target = os.readlink(candidate)
            if target.startswith("/"):
                current = []
            parts = [p for p in target.split("/") if p not in ("", ".")]
            pending.extend(reversed(parts))
            continue
        current.append(part)
    return root.joinpath(*current)


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
