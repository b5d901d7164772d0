"""One container's log shipper: a tailer over the log file conmon writes, a bounded buffer
and a sender to the remote driver's receiver.

The tailer follows ``ctr.log`` (conmon's k8s-file lines) from an offset, joins partial
lines, and follows a rotation (the file's inode changes: the old one is read to its end
first). Each line becomes the driver's frame (``shipformat``) in a buffer of at most
``max-buffer-size`` bytes: in ``non-blocking`` mode what does not fit is dropped and
counted; in ``blocking`` mode the tailer waits for room (the file keeps the lines
meanwhile). The sender drops a frame the receiver refuses. Nothing here touches the
container's stdio: conmon writes the file whatever the receiver does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections import deque
from collections.abc import Callable
from pathlib import Path

from pallet.errors import DataCorruption
from pallet.logs.k8sfile import parse_line
from pallet.logs.shipformat import (
    LogMeta,
    fluentd_message,
    gelf_chunks,
    gelf_compress,
    gelf_payload,
    render_tag,
    syslog_message,
)
from pallet.logs.shipopts import ShipConfig
from pallet.logs.transport import Transport

log = logging.getLogger(__name__)

POLL = 0.1  # seconds between looks at a quiet file
READ = 1 << 16
FLUSH = 5.0  # seconds a stopping shipper has to send what it holds


def framer(cfg: ShipConfig, meta: LogMeta) -> Callable[[bytes, int, int], list[bytes]]:
    """(line, stream, time ns) -> the frames to send, for ``cfg``'s driver."""
    tag = render_tag(cfg.tag, meta)
    hostname = meta.hostname or socket.gethostname()
    if cfg.driver == "syslog":
        return lambda line, stream, ns: [syslog_message(
            line, stream, ns, tag, cfg.facility, cfg.syslog_format, hostname)]
    if cfg.driver == "gelf":
        meta = LogMeta(**{**meta.__dict__, "hostname": hostname})
        udp = cfg.address.scheme == "udp"

        def gelf(line: bytes, stream: int, ns: int) -> list[bytes]:
            payload = gelf_payload(line, stream, ns, tag, meta)
            if not udp:
                return [payload]
            return gelf_chunks(gelf_compress(payload, cfg.compression, cfg.compression_level))
        return gelf
    return lambda line, stream, ns: [fluentd_message(line, stream, ns, tag, meta)]


def delimiter(driver: str) -> bytes:
    return {"syslog": b"\n", "gelf": b"\0"}.get(driver, b"")


class Shipper:
    def __init__(self, path: Path, offset: int, cfg: ShipConfig, meta: LogMeta,
                 transport: Transport | None = None) -> None:
        self.path = path
        self.offset = offset
        self.cfg = cfg
        self.frames = framer(cfg, meta)
        self.transport = transport or Transport(cfg.address, delimiter(cfg.driver))
        self.buffer: deque[bytes] = deque()
        self.buffered = 0
        self.dropped = 0
        self.sent = 0
        self._room = asyncio.Event()
        self._ready = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._tail()), loop.create_task(self._send())]

    async def stop(self) -> None:
        """Read the file to its end, send what is held (for up to ``FLUSH`` s), close."""
        self._stopping = True
        tail, send = self._tasks
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(tail), FLUSH)
        self._ready.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(send), FLUSH)
        for task in self._tasks:
            task.cancel()
        await self.transport.close()

    # -- tailing -----------------------------------------------------------------------
    async def _tail(self) -> None:
        f = None
        ino = -1
        pending = b""
        partial = b""
        try:
            while True:
                if f is None:
                    try:
                        f = open(self.path, "rb")  # noqa: SIM115 - held across reads
                    except FileNotFoundError:
                        if self._stopping:
                            return
                        await asyncio.sleep(POLL)
                        continue
                    ino = os.fstat(f.fileno()).st_ino
                    f.seek(self.offset)
                chunk = f.read(READ)
                if chunk:
                    self.offset += len(chunk)
                    *lines, pending = (pending + chunk).split(b"\n")
                    for raw in lines:
                        partial = await self._line(raw, partial)
                    continue
                try:
                    moved = os.stat(self.path).st_ino != ino
                except FileNotFoundError:
                    moved = False
                if moved:  # rotated: the old file is read to its end, now the new one
                    f.close()
                    f, self.offset, pending = None, 0, b""
                    continue
                if self._stopping:
                    return
                await asyncio.sleep(POLL)
        finally:
            if f is not None:
                f.close()

    async def _line(self, raw: bytes, partial: bytes) -> bytes:
        try:
            rec = parse_line(raw)
        except DataCorruption:
            return partial
        if rec.partial:
            return partial + rec.data
        line = (partial + rec.data).rstrip(b"\n")
        for frame in self.frames(line, rec.stream, rec.time_ns):
            await self._put(frame)
        return b""

    async def _put(self, frame: bytes) -> None:
        while self.buffered + len(frame) > self.cfg.max_buffer and self.buffer:
            if not self.cfg.blocking:
                self.dropped += 1
                return
            self._room.clear()
            await self._room.wait()
        self.buffer.append(frame)
        self.buffered += len(frame)
        self._ready.set()

    # -- sending -----------------------------------------------------------------------
    async def _send(self) -> None:
        while True:
            if not self.buffer:
                if self._stopping and self._tasks[0].done():
                    return
                self._ready.clear()
                await self._ready.wait()
                continue
            frame = self.buffer.popleft()
            self.buffered -= len(frame)
            self._room.set()
            try:
                await self.transport.send(frame)
                self.sent += 1
            except OSError as e:
                self.dropped += 1
                if self.dropped in (1, 100, 10000):
                    log.warning("log shipping to %s: %s (%d dropped)",
                                self.transport.describe(), e, self.dropped)
