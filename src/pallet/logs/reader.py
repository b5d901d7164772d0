"""Reading a container's k8s-file log back: filters, tail, follow across rotation.

Files: ``path`` is the live log, ``path.1`` (``path.2``, ...) older rotated ones (the
engine rotates by renaming and asking conmon to reopen). ``tail`` reads backwards from the
end, so it costs the size of the tail, not of the file.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pallet.errors import DataCorruption
from pallet.logs.k8sfile import LogRecord, parse_line

CHUNK = 64 * 1024
POLL_INTERVAL = 0.05


@dataclass(frozen=True)
class LogFilter:
    since_ns: int = 0
    until_ns: int = 0
    stdout: bool = True
    stderr: bool = True

    def stream_ok(self, rec: LogRecord) -> bool:
        return (rec.stream == 1 and self.stdout) or (rec.stream == 2 and self.stderr)

    def accepts(self, rec: LogRecord) -> bool:
        if not self.stream_ok(rec):
            return False
        if self.since_ns and rec.time_ns < self.since_ns:
            return False
        return not (self.until_ns and rec.time_ns > self.until_ns)


def log_files(path: Path) -> list[Path]:
    """Existing log files, oldest first: ``path.N`` ... ``path.1``, ``path``."""
    rotated = []
    n = 1
    while Path(f"{path}.{n}").exists():
        rotated.append(Path(f"{path}.{n}"))
        n += 1
    files = list(reversed(rotated))
    if path.exists():
        files.append(path)
    return files


def _parse(line: bytes) -> LogRecord | None:
    try:
        return parse_line(line)
    except DataCorruption:
        return None


def _forward(fd: int, start: int, end: int) -> Iterator[LogRecord]:
    """Records of the complete lines in ``[start, end)`` of ``fd``."""
    pos, rest = start, b""
    while pos < end:
        chunk = os.pread(fd, min(CHUNK, end - pos), pos)
        if not chunk:
            break
        pos += len(chunk)
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        for line in lines:
            rec = _parse(line)
            if rec is not None:
                yield rec


def _complete_end(fd: int, end: int) -> int:
    """Offset just past the last newline before ``end`` (skip a half-written line)."""
    pos = end
    while pos > 0:
        size = min(CHUNK, pos)
        chunk = os.pread(fd, size, pos - size)
        i = chunk.rfind(b"\n")
        if i >= 0:
            return pos - size + i + 1
        pos -= size
    return 0


class _Tail:
    """The last ``need`` whole lines, collected backwards across files.

    conmon splits a long line into partial (``P``) records ended by an ``F`` record; a
    line counts once however many records it took, and the partial records before its
    ``F`` (of the same stream, possibly in an older file) come with it.
    """

    def __init__(self, need: int, flt: LogFilter) -> None:
        self.need = need
        self.flt = flt
        self.lines = 0
        self.open: set[int] = set()  # streams whose counted line may go on further back
        self.done = False

    def take(self, rec: LogRecord) -> bool:
        """Whether ``rec`` (the next record going backwards) is part of the tail."""
        if rec.partial and rec.stream in self.open:
            return True
        if self.lines >= self.need:
            # an earlier line of this stream: its counted line starts after this record
            self.open.discard(rec.stream)
            self.done = not self.open
            return False
        self.lines += 1
        self.open.add(rec.stream)
        return True

    def backward(self, fd: int, end: int) -> list[LogRecord]:
        """This file's records of the tail ending at ``end``, in file order."""
        out: list[LogRecord] = []
        pos, rest = end, b""
        while pos > 0 and not self.done:
            size = min(CHUNK, pos)
            pos -= size
            data = os.pread(fd, size, pos) + rest
            lines = data.split(b"\n")
            rest = lines.pop(0) if pos > 0 else b""
            for line in reversed(lines):
                rec = _parse(line) if line else None
                if rec is None:
                    continue
                if self.flt.accepts(rec):
                    if self.take(rec):
                        out.append(rec)
                    elif self.done:
                        break
                if self.flt.since_ns and rec.time_ns < self.flt.since_ns:
                    self.done = True  # everything earlier is older still
                    break
        out.reverse()
        return out


def _read_files(files: list[tuple[int, int]], tail: int, flt: LogFilter) -> Iterator[LogRecord]:
    """Records of (fd, end) pairs, oldest first, honouring ``tail`` (< 0 = all)."""
    if tail == 0:
        return
    if tail < 0:
        for fd, end in files:
            for rec in _forward(fd, 0, end):
                if flt.until_ns and rec.time_ns > flt.until_ns:
                    return
                if flt.accepts(rec):
                    yield rec
        return
    chunks: list[list[LogRecord]] = []
    wanted = _Tail(tail, flt)
    for fd, end in reversed(files):
        chunks.append(wanted.backward(fd, end))
        if wanted.done:
            break
    for got in reversed(chunks):
        yield from got


def iter_logs(path: Path, since_ns: int = 0, until_ns: int = 0, tail: int = -1,
              stdout: bool = True, stderr: bool = True) -> Iterator[LogRecord]:
    flt = LogFilter(since_ns, until_ns, stdout, stderr)
    fds = []
    try:
        for p in log_files(Path(path)):
            try:
                fd = os.open(p, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            fds.append((fd, _complete_end(fd, os.fstat(fd).st_size)))
        yield from _read_files(fds, tail, flt)
    finally:
        for fd, _ in fds:
            os.close(fd)


def read_logs(path: Path, since_ns: int = 0, until_ns: int = 0, tail: int = -1,
              stdout: bool = True, stderr: bool = True) -> list[LogRecord]:
    """Log records of ``path`` (and its rotated files): ``tail`` < 0 means all."""
    return list(iter_logs(path, since_ns, until_ns, tail, stdout, stderr))


async def follow_logs(
    path: Path, since_ns: int = 0, until_ns: int = 0, tail: int = -1,
    stdout: bool = True, stderr: bool = True, *,
    stop: Callable[[], bool], poll_interval: float = POLL_INTERVAL,
) -> AsyncIterator[LogRecord]:
    """The existing records (as ``read_logs``), then new ones as conmon writes them.

    Follows a rename rotation (drains the old file, then reads the new one). Ends once
    ``stop()`` is true and the file is drained, or once the clock passed ``until_ns``.
    """
    path = Path(path)
    flt = LogFilter(since_ns, until_ns, stdout, stderr)
    fd, ino, offset = -1, -1, 0
    while fd < 0:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            if stop():
                return
            await asyncio.sleep(poll_interval)
    try:
        st = os.fstat(fd)
        ino = st.st_ino
        offset = _complete_end(fd, st.st_size)
        old = [p for p in log_files(path) if p != path]
        olds = []
        try:
            for p in old:
                ofd = os.open(p, os.O_RDONLY | os.O_CLOEXEC)
                olds.append((ofd, _complete_end(ofd, os.fstat(ofd).st_size)))
            for rec in _read_files([*olds, (fd, offset)], tail, flt):
                yield rec
        finally:
            for ofd, _ in olds:
                os.close(ofd)
        rest = b""
        stopping = False
        while True:
            chunk = os.pread(fd, CHUNK, offset)
            if chunk:
                offset += len(chunk)
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    new = _parse(line)
                    if new is None:
                        continue
                    if flt.until_ns and new.time_ns > flt.until_ns:
                        return
                    if flt.accepts(new):
                        yield new
                continue
            # at EOF of the open file: rotated or truncated?
            try:
                st_path = os.stat(path)
            except FileNotFoundError:
                st_path = None
            if st_path is not None and st_path.st_ino != ino:
                os.close(fd)
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                ino, offset, rest = os.fstat(fd).st_ino, 0, b""
                continue
            if os.fstat(fd).st_size < offset:  # truncated in place
                offset, rest = 0, b""
                continue
            if stopping or (flt.until_ns and time.time_ns() > flt.until_ns):
                return
            if stop():
                stopping = True  # one more drain pass, then end
                continue
            await asyncio.sleep(poll_interval)
    finally:
        if fd >= 0:
            os.close(fd)
