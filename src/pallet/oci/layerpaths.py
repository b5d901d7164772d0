"""Layer member paths inside a target root: lexical cleaning and in-root directory fds.

:func:`clean_parts` rejects names that climb out of the root; :class:`RootDirs`
resolves parent directories with openat2(RESOLVE_IN_ROOT), so symlinks planted by
earlier entries or present in the lower tree resolve *inside* the target, creating
missing ones and caching the fds until a removal may have invalidated them.

A target that starts empty (an overlay upper dir, a first layer) is *fresh*: all it
holds is what this layer made, recorded in :attr:`RootDirs.kinds`, so existence needs
no lstat and a directory this layer created is opened from its cached parent with
O_NOFOLLOW (it is a real directory, and no symlink on the way can have changed since
the parent was resolved). The first removal, or a path through anything but a
directory of the layer's own, ends freshness for the rest of the layer: from there on
every answer comes from the filesystem, as for a non-empty target.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable, Sequence
from enum import Enum
from pathlib import Path

from pallet.errors import InvalidArgument
from pallet.oci.openat2 import open_beneath_nofollow, open_in_root

_DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC


class Kind(Enum):
    """What a fresh target holds at a path (only what the layer itself made)."""

    DIR = 1
    SYMLINK = 2
    OTHER = 3


def clean_parts(name: str, *, clamp: bool = False) -> list[str]:
    """Split a member name into safe components; raises if it climbs out of the root,
    unless ``clamp`` (a ``..`` at the root stays at the root, as in a path lookup)."""
    parts: list[str] = []
    for p in name.split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if not parts and clamp:
                continue
            if not parts:
                raise InvalidArgument(f"invalid layer entry {name!r}: path escapes the target")
            parts.pop()
        else:
            parts.append(p)
    return parts


def _empty(fd: int) -> bool:
    """Whether the directory ``fd`` has no entries; ``fd`` may be an O_PATH fd (``docker
    cp``'s anchors are), which cannot be listed itself."""
    listable = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=fd)
    try:
        return not os.listdir(listable)
    finally:
        os.close(listable)


class RootDirs:
    """The target root's fd and a cache of directory fds resolved inside it.

    ``target`` is a directory path or an open directory fd (duplicated, so the caller
    keeps its own). With a ``prefix`` (components below that root) members land under
    ``root/prefix`` while every path, the prefix included, still resolves with the
    root as ``/``: ``docker cp`` into ``/some/dir`` of a container whose processes may
    be swapping that directory for a symlink at the same moment.
    """

    def __init__(self, target: Path | int, prefix: Sequence[str] = ()) -> None:
        if isinstance(target, int):
            self.root = os.dup(target)
        else:
            self.root = os.open(target, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self.prefix = [p for p in prefix if p not in ("", ".")]
        self.dirs: dict[str, int] = {}
        self.retired: list[int] = []  # fds dropped from the cache, closed between members
        self.fresh = not self.prefix and _empty(self.root)
        self.kinds: dict[str, Kind] = {}  # while fresh: what the layer made, by path
        self.settle: Callable[[], None] = lambda: None  # waits for pending creations

    def unfresh(self) -> None:
        """From now on ask the filesystem (after pending creations have landed)."""
        if self.fresh:
            self.settle()
            self.fresh = False
            self.kinds.clear()

    def known(self, path: str) -> tuple[bool, Kind | None]:
        """While fresh and nothing is at ``path``: (True, None); while fresh and the
        layer made a directory there: (True, DIR). Anything else ends freshness and
        answers (False, None): the caller then lstat()s."""
        if self.fresh:
            kind = self.kinds.get(path)
            if kind is None or kind is Kind.DIR:
                return True, kind
            self.unfresh()
        return False, None

    def close(self) -> None:
        self.drop_cache()
        self.close_retired()
        os.close(self.root)

    def drop_cache(self) -> None:
        # A removal may invalidate any cached resolution (through symlinks too); the fds
        # stay open until the current member is done, so callers' dirfds remain valid.
        self.retired.extend(self.dirs.values())
        self.dirs.clear()

    def close_retired(self) -> None:
        for fd in self.retired:
            os.close(fd)
        self.retired.clear()

    def dirfd(self, parts: list[str], name: str, create: bool = True) -> int:
        key = "/".join(parts)
        fd = self.dirs.get(key)
        if fd is not None:
            return fd
        if parts and self.fresh:
            fd = self._fresh_dirfd(parts, key, name, create)
            if fd is not None:
                return fd
        try:
            fd = open_in_root(self.root, self._full(parts), _DIR_FLAGS)
        except FileNotFoundError:
            if not create or not parts:
                raise InvalidArgument(
                    f"layer entry {name!r}: {key or '/'} does not exist"
                ) from None
            parent = self.dirfd(parts[:-1], name)
            try:
                os.mkdir(parts[-1], 0o755, dir_fd=parent)
            except FileExistsError:
                pass
            try:
                fd = open_in_root(self.root, self._full(parts), _DIR_FLAGS)
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

    def _fresh_dirfd(self, parts: list[str], key: str, name: str, create: bool) -> int | None:
        """A directory of the layer's own (made here if missing), opened from its parent;
        None when the path is something else (freshness is over: resolve it)."""
        kind = self.kinds.get(key)
        if kind is not None and kind is not Kind.DIR:
            self.unfresh()
            return None
        parent = self.dirfd(parts[:-1], name, create)
        if not self.fresh:  # the parent's path ended it
            return None
        if kind is None and not create:
            raise InvalidArgument(f"layer entry {name!r}: {key} does not exist")
        try:
            if kind is None:
                os.mkdir(parts[-1], 0o755, dir_fd=parent)
                self.kinds[key] = Kind.DIR
            fd = os.open(parts[-1], _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=parent)
        except OSError as e:
            raise InvalidArgument(
                f"layer entry {name!r}: cannot create {key}: {e.strerror}") from None
        self.dirs[key] = fd
        return fd

    def _full(self, parts: list[str]) -> str:
        return "/".join([*self.prefix, *parts])

    def open_nofollow(self, path: str, flags: int) -> int:
        """``path`` under the target, opened only if no component is a symlink."""
        return open_beneath_nofollow(self.root, "/".join([*self.prefix, path]), flags)

    def lstat(self, dirfd: int, base: str) -> os.stat_result | None:
        try:
            return os.stat(base, dir_fd=dirfd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def remove(self, dirfd: int, base: str, st: os.stat_result | None = None) -> None:
        self.unfresh()
        st = st or self.lstat(dirfd, base)
        if st is None:
            return
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(base, dir_fd=dirfd)
        else:
            os.unlink(base, dir_fd=dirfd)
        self.drop_cache()
