"""One build's context: decided from the tar's index, extracted only when a step needs files.

A fully cached build reads the Dockerfile and hashes the files its COPY steps name
straight from the tar (``tarindex``); nothing is written to disk. The first step that
has to copy or bind files extracts the context once (``root``). A tar the index cannot
describe exactly (hardlinks, device nodes, odd names...) is extracted up front and
then read from disk; both ways give the same sources and the same digests.

As Docker's daemon does, ``.dockerignore`` and the Dockerfile leave the context when
``.dockerignore`` excludes them (the client sends both regardless).
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import shutil
import zlib
from pathlib import Path

from pallet.build.context import Source, clean_source, find_sources, hash_tree, unpack
from pallet.build.tarindex import TarIndex, scan
from pallet.errors import InvalidArgument, NotFound
from pallet.notation.dockerignore import Matcher, compile_glob
from pallet.system.securejoin import secure_join

_GLOB_CHARS = "*?["
_BLOCK = 512
_COMPRESSED = ((b"\x1f\x8b", gzip.open), (b"BZh", bz2.open), (b"\xfd7zXZ\x00", lzma.open))


def _skip(name: str) -> bool:
    return ".wh." in name


def _plain_tar(body: Path, work: Path) -> Path:
    """``body`` itself, or its decompressed copy next to ``work`` (gzip, bzip2, xz);
    either way ended as a tar should be (see ``_complete``)."""
    with open(body, "rb") as f:
        head = f.read(6)
    for magic, opener in _COMPRESSED:
        if head.startswith(magic):
            out = work.with_name(work.name + ".tar")
            try:
                with opener(body, "rb") as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            except (OSError, EOFError, zlib.error, lzma.LZMAError):
                out.unlink(missing_ok=True)
                return body  # the extraction reports what is wrong with it
            _complete(out)
            return out
    _complete(body)
    return body


def _size_field(field: bytes) -> int:
    if field[:1] and field[0] & 0x80:  # base-256
        return int.from_bytes(field[1:], "big")
    text = field.split(b"\0", 1)[0].strip()
    return int(text, 8) if text else 0


def _complete(tar: Path) -> None:
    """Pad a tar that stops right after its last member's data (no block padding, no
    end-of-archive blocks). The docker CLI sends such a context when the Dockerfile is
    outside it; Docker's daemon reads it. A member cut short stays an error."""
    with open(tar, "r+b") as f:
        size = os.fstat(f.fileno()).st_size
        if size % _BLOCK == 0 and size >= 2 * _BLOCK:
            f.seek(size - 2 * _BLOCK)
            if f.read(2 * _BLOCK) == bytes(2 * _BLOCK):
                return  # the usual case: one read
        pos = 0
        while pos + _BLOCK <= size:
            f.seek(pos)
            header = f.read(_BLOCK)
            if header == bytes(_BLOCK):
                return  # an end marker: complete enough
            try:
                data = _size_field(header[124:136])
            except ValueError:
                return  # not a tar header: the extraction says so
            end = pos + _BLOCK + data
            pos = end + (-data % _BLOCK)
            if end <= size < pos:
                break  # the data is complete, its block padding is not
        else:
            if pos != size:
                return  # a header cut short
        f.seek(size)
        f.write(bytes(pos - size + 2 * _BLOCK))


class BuildContext:
    def __init__(self, tar: Path, work: Path, index: TarIndex | None,
                 owns_tar: bool = False) -> None:
        self.tar = tar
        self.owns_tar = owns_tar  # a decompressed copy, removed by close()
        self.work = work  # where the context is (or will be) extracted
        self.index = index
        self.extracted = False
        self._dropped: set[str] = set()
        self._digests: dict[Path, str] = {}
        self._sums: dict[str, str] = {}

    @classmethod
    def open(cls, body: Path, work: Path) -> BuildContext:
        """Index the context tar ``body`` (or extract it to ``work`` when it must)."""
        tar = _plain_tar(body, work)
        ctx = cls(tar, work, scan(tar, skip=_skip), owns_tar=tar != body)
        if ctx.index is None:
            try:
                ctx.root()
            except BaseException:
                ctx.close()
                raise
        return ctx

    def close(self) -> None:
        """Drop the extracted files and any decompressed copy (not the request's body)."""
        if self.index is not None:
            self.index.close()
        if self.owns_tar:
            with contextlib.suppress(FileNotFoundError):
                self.tar.unlink()
        shutil.rmtree(self.work, ignore_errors=True)

    def root(self) -> Path:
        """The context extracted on disk (done once, on first use)."""
        if not self.extracted:
            dropped = self._dropped
            unpack(self.tar, self.work, skip=lambda name: _skip(name) or name in dropped)
            self.extracted = True
        return self.work

    # -- files ------------------------------------------------------------------------
    def read(self, name: str) -> bytes | None:
        """The regular file ``name`` (resolved inside the context), None if absent."""
        if self.index is not None:
            return self.index.read(name)
        try:
            return secure_join(self.work, name).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def drop_ignored(self, dockerfile: str) -> None:
        """Remove ``.dockerignore`` and the Dockerfile if ``.dockerignore`` excludes them."""
        data = self.read(".dockerignore")
        if data is None:
            return
        matcher = Matcher.from_text(data.decode("utf-8", errors="replace"))
        try:
            names = [".dockerignore", clean_source(dockerfile)]
        except InvalidArgument:  # "../Dockerfile" was read clamped at the root: keep it
            names = [".dockerignore"]
        for name in names:
            if not name or not matcher.excluded(name):
                continue
            self._dropped.add(name)
            if self.index is not None:
                self.index.remove(name)
            if self.extracted:
                host = secure_join(self.work, name, follow_last=False)
                if not host.is_dir() or host.is_symlink():
                    host.unlink(missing_ok=True)

    def find(self, pattern: str, kind: str = "COPY", glob: bool = True) -> list[Source]:
        """The entries ``pattern`` names (a path or, with ``glob``, a glob), as
        ``context.find_sources`` finds them on disk; host paths are valid once
        ``root()`` has run."""
        idx = self.index
        if idx is None:
            return find_sources(self.work, pattern, kind, glob)
        rel = clean_source(pattern)
        if not glob or not any(c in rel for c in _GLOB_CHARS):
            res = idx.resolve(rel)
            e = idx.entries.get(res)
            if e is None:
                raise NotFound(
                    f"{kind} failed: file not found in build context or excluded by"
                    f" .dockerignore: stat {rel or '.'}: file does not exist"
                )
            return [Source(self._host(res), rel, e.kind == "d")]
        rx = compile_glob(rel)
        found = []
        for r in idx.walk():
            if rx.match(r):
                res = idx.resolve(r)
                e = idx.entries.get(res)
                found.append(Source(self._host(res), r, e is not None and e.kind == "d"))
        if not found:
            raise NotFound(f"{kind} failed: no source files were specified by {pattern!r}")
        return found

    def _host(self, rel: str) -> Path:
        return self.work.joinpath(*rel.split("/")) if rel else self.work

    def digest(self, src: Source) -> str:
        """The tree digest of a source (``context.hash_tree``); each file hashed once."""
        d = self._digests.get(src.host)
        if d is None:
            if self.index is not None:
                rel = src.host.relative_to(self.work).as_posix()
                d = self.index.digest("" if rel == "." else rel)
            else:
                try:
                    d = hash_tree(src.host, self._sums)
                except FileNotFoundError:
                    raise NotFound(f"file not found in build context: {src.rel}") from None
            self._digests[src.host] = d
        return d

    def path(self, rel: str) -> Path:
        """``rel`` resolved inside the context, on disk (extracts the context)."""
        root = self.root()
        return secure_join(root, clean_source(rel))
