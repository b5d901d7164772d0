"""Container exits as conmon reports them: ``<exits_dir>/<cid>`` holding the exit code.

conmon writes ``<cid>.XXXXXX`` and renames it to ``<cid>`` (IN_MOVED_TO); a plain write
gives IN_CLOSE_WRITE. ``ExitWatcher`` turns those inotify events into container ids on the
asyncio loop (ctypes, no dependency). A container id may be reported more than once, so
consumers must be idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import os
import struct
from collections.abc import AsyncIterator
from pathlib import Path

IN_CLOSE_WRITE = 0x00000008
IN_MOVED_TO = 0x00000080
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
_EVENT = struct.Struct("iIII")

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
_libc.inotify_init1.argtypes = [ctypes.c_int]
_libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]


def read_exit(exits_dir: Path, cid: str) -> int | None:
    """The exit code in ``exits_dir/cid``, or None if absent or not yet written."""
    try:
        text = (Path(exits_dir) / cid).read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _is_temp_name(name: str) -> bool:
    """conmon's (g_file_set_contents) temp names: ``<cid>.XXXXXX``."""
    stem, dot, suffix = name.rpartition(".")
    return bool(dot and stem and len(suffix) == 6)


def parse_events(buf: bytes) -> list[tuple[int, str]]:
    """(mask, name) pairs of a raw inotify read."""
    out = []
    off = 0
    while off + _EVENT.size <= len(buf):
        _wd, mask, _cookie, length = _EVENT.unpack_from(buf, off)
        raw = buf[off + _EVENT.size: off + _EVENT.size + length]
        out.append((mask, raw.rstrip(b"\0").decode(errors="replace")))
        off += _EVENT.size + length
    return out


class ExitWatcher:
    """Async stream of container ids whose exit file appeared in ``exits_dir``.

    ``async for cid in watcher`` or ``await watcher.get()``. On inotify overflow every
    existing exit file is reported again.
    """

    def __init__(self, exits_dir: Path) -> None:
        self.exits_dir = Path(exits_dir)
        self.exits_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"inotify_init1: {os.strerror(err)}")
        wd = _libc.inotify_add_watch(fd, os.fsencode(str(self.exits_dir)),
                                     IN_MOVED_TO | IN_CLOSE_WRITE)
        if wd < 0:
            err = ctypes.get_errno()
            os.close(fd)
            raise OSError(err, f"inotify_add_watch({exits_dir}): {os.strerror(err)}")
        self._fd = fd
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None

    def _ensure_reader(self) -> None:
        if self._loop is None and self._fd >= 0:
            self._loop = asyncio.get_running_loop()
            self._loop.add_reader(self._fd, self._on_readable)

    def _on_readable(self) -> None:
        try:
            buf = os.read(self._fd, 65536)
        except BlockingIOError:
            return
        for mask, name in parse_events(buf):
            if mask & IN_Q_OVERFLOW:
                for p in sorted(self.exits_dir.iterdir()):
                    if not _is_temp_name(p.name):
                        self._queue.put_nowait(p.name)
                continue
            if not name or mask & IN_IGNORED or _is_temp_name(name):
                continue
            self._queue.put_nowait(name)

    async def get(self) -> str:
        """The next container id that exited; raises EOFError once closed."""
        self._ensure_reader()
        cid = await self._queue.get()
        if cid is None:
            self._queue.put_nowait(None)
            raise EOFError("exit watcher closed")
        return cid

    async def __aiter__(self) -> AsyncIterator[str]:
        while True:
            try:
                yield await self.get()
            except EOFError:
                return

    def close(self) -> None:
        if self._fd < 0:
            return
        if self._loop is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self._fd)
        os.close(self._fd)
        self._fd = -1
        self._queue.put_nowait(None)
