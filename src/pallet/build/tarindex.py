"""An index of a build-context tar, so cache keys are decided without extracting it.

``scan`` reads the member headers of a plain tar; file data stays in the tar and is
read (and hashed) only when a step asks for it, once per file. It gives up (returns
None) on anything whose extraction it would not reproduce exactly: hardlinks, device
nodes, fifos, sparse files, a name given twice, an entry below a symlink or a file.
Paths resolve as ``secure_join`` resolves them on disk (symlinks evaluated inside the
context root), and ``digest`` equals ``context.hash_tree`` on the extracted tree, so
the index and the disk give the same cache keys.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pallet.errors import InvalidArgument, NotFound
from pallet.oci.layerpaths import clean_parts
from pallet.system.securejoin import resolve_parts

ROOT_MODE = 0o755  # the extracted root and implicit parents (mkdir 0755, umask 022)
_KINDS = {"f": stat.S_IFREG, "d": stat.S_IFDIR, "l": stat.S_IFLNK}


def record(rel: str, ifmt: int, mode: int, size: int = 0, link: str = "",
           content: str = "") -> bytes:
    """One entry of a tree digest: name, type, mode, then link target or size + content
    sha256 (mtimes and owners are not part of it)."""
    out = os.fsencode(rel) + f"\0{ifmt:o}\0{mode:o}\0".encode()
    if ifmt == stat.S_IFLNK:
        out += os.fsencode(link)
    elif ifmt == stat.S_IFREG:
        out += f"{size}\0{content}".encode()
    return out + b"\n"


def dir_header(mode: int) -> bytes:
    return f"d {mode:o}\n".encode()


@dataclass
class Entry:
    kind: str  # "f" regular file, "d" directory, "l" symlink
    mode: int  # permission bits as extraction leaves them
    size: int = 0
    offset: int = 0  # where the file's data starts in the tar
    link: str = ""


class TarIndex:
    """Entries of a context tar by clean relative path (``""`` is the root)."""

    def __init__(self, tar: Path, entries: dict[str, Entry]) -> None:
        self.tar = tar
        self.entries = entries
        self._children: dict[str, list[str]] | None = None
        self._sums: dict[str, str] = {}
        self._fd: int | None = None

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # -- paths ------------------------------------------------------------------------
    def resolve(self, path: str, follow_last: bool = True) -> str:
        """``path`` with symlinks resolved inside the root, as ``secure_join`` does."""
        def readlink(parts: list[str]) -> str | None:
            e = self.entries.get("/".join(parts))
            return e.link if e is not None and e.kind == "l" else None

        return "/".join(resolve_parts(path, readlink, follow_last=follow_last))

    def children(self, rel: str) -> list[str]:
        """Names directly under directory ``rel``, sorted."""
        if self._children is None:
            kids: dict[str, list[str]] = {}
            for p in self.entries:
                if p:
                    parent, _, name = p.rpartition("/")
                    kids.setdefault(parent, []).append(name)
            for names in kids.values():
                names.sort()
            self._children = kids
        return self._children.get(rel, [])

    def walk(self, top: str = "") -> Iterator[str]:
        """Paths below directory ``top``, relative to it, in ``os.walk`` order with
        sorted directories: a directory's entries, then each subdirectory's (symlinks
        are listed, not entered)."""
        prefix = f"{top}/" if top else ""
        todo = [""]
        while todo:
            rel = todo.pop()
            subdirs = []
            for name in self.children(prefix + rel if rel else top):
                r = f"{rel}/{name}" if rel else name
                yield r
                if self.entries[prefix + r].kind == "d":
                    subdirs.append(r)
            todo.extend(reversed(subdirs))

    def remove(self, rel: str) -> None:
        """Forget a non-directory entry (``.dockerignore`` drops the Dockerfile)."""
        e = self.entries.get(rel)
        if e is not None and e.kind != "d":
            del self.entries[rel]
            self._children = None

    # -- content ----------------------------------------------------------------------
    def _pread(self, e: Entry) -> Iterator[bytes]:
        if self._fd is None:
            self._fd = os.open(self.tar, os.O_RDONLY | os.O_CLOEXEC)
        pos, end = e.offset, e.offset + e.size
        while pos < end:
            chunk = os.pread(self._fd, min(1 << 20, end - pos), pos)
            if not chunk:
                raise InvalidArgument("build context tar is truncated")
            pos += len(chunk)
            yield chunk

    def read(self, rel: str) -> bytes | None:
        """The content of the regular file at ``rel`` (symlinks followed), else None."""
        e = self.entries.get(self.resolve(rel))
        if e is None or e.kind != "f":
            return None
        return b"".join(self._pread(e))

    def file_sum(self, rel: str) -> str:
        """sha256 of a file's content; computed once per file."""
        s = self._sums.get(rel)
        if s is None:
            h = hashlib.sha256()
            for chunk in self._pread(self.entries[rel]):
                h.update(chunk)
            s = self._sums[rel] = h.hexdigest()
        return s

    def digest(self, rel: str) -> str:
        """The tree digest of resolved path ``rel`` (a file or a directory)."""
        e = self.entries.get(rel)
        if e is None:
            raise NotFound(f"file not found in build context: {rel or '.'}")
        h = hashlib.sha256()
        if e.kind != "d":
            h.update(self._record(".", rel, e))
            return h.hexdigest()
        h.update(dir_header(e.mode))
        prefix = f"{rel}/" if rel else ""
        for r in self.walk(rel):
            h.update(self._record(r, prefix + r, self.entries[prefix + r]))
        return h.hexdigest()

    def _record(self, shown: str, rel: str, e: Entry) -> bytes:
        return record(shown, _KINDS[e.kind], e.mode, e.size, e.link,
                      self.file_sum(rel) if e.kind == "f" else "")


def scan(tar: Path, skip: Callable[[str], bool] | None = None) -> TarIndex | None:
    """Index plain tar ``tar``; None when only an extraction can tell what it holds
    (including any error: the extraction then reports it)."""
    entries: dict[str, Entry] = {"": Entry("d", ROOT_MODE)}
    explicit: set[str] = set()
    try:
        size = os.stat(tar).st_size
        with tarfile.open(tar, "r:") as tf:
            while (m := tf.next()) is not None:
                tf.members.clear()  # type: ignore[attr-defined]  # flat memory on big tars
                parts = clean_parts(m.name)
                if not parts:
                    continue
                path = "/".join(parts)
                if skip is not None and skip(path):
                    continue
                if m.isreg() and not m.issparse():
                    if m.offset_data + m.size > size:
                        return None
                    e = Entry("f", m.mode & 0o7777, m.size, m.offset_data)
                elif m.isdir():
                    e = Entry("d", m.mode & 0o7777)
                elif m.issym():
                    e = Entry("l", 0o777, link=m.linkname)
                else:
                    return None
                for k in range(1, len(parts)):
                    parent = "/".join(parts[:k])
                    pe = entries.get(parent)
                    if pe is None:
                        entries[parent] = Entry("d", ROOT_MODE)
                    elif pe.kind != "d":
                        return None
                old = entries.get(path)
                if old is not None and (path in explicit or e.kind != "d"):
                    return None
                explicit.add(path)
                entries[path] = e
            tail = size - tf.offset  # after the last member: nothing, or an end block
            if tail and (tail < 512 or _read_at(tar, tf.offset, 512) != bytes(512)):
                return None
    except (OSError, tarfile.TarError, EOFError, InvalidArgument, UnicodeError, ValueError):
        return None
    return TarIndex(tar, entries)


def _read_at(path: Path, offset: int, n: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(n)
