"""Connection hijack for attach and exec: ``101 UPGRADED`` then raw bytes both ways.

After the 101 headers go out, the socket's protocol is swapped for :class:`Hijacked`
(aiohttp's own request handler would close the socket on the client's half-close,
and docker closes its write side when stdin ends while still reading output).
Clients must wait for the 101 before sending stdin, as docker and docker-py do:
aiohttp's C parser (3.14) only treats ``Upgrade: websocket`` as an upgrade and drops
bytes sent behind the request (its pure-Python parser keeps them in
``_message_tail``, which is taken over here).
When the container's output ends the handler returns and aiohttp closes the socket.
Without ``Upgrade: tcp`` the output is a plain streamed 200 response instead.

Output waits until the client has read the 101 head off the socket. A client that reads the
head through a buffered reader and then switches to the raw socket (http.client's
``makefile`` reads as much as the socket holds, and docker-py then reads the socket itself)
would otherwise lose output that arrived with the head: the buffer swallows it. On a unix
socket the kernel tells how much of what was sent the peer has not read yet (``SIOCOUTQ``);
output starts when that is zero (or after a bound, for a client that never reads).

With a TTY, stdin goes through the session's detach sequence (Docker's default ctrl-p,ctrl-q):
typing it ends the connection and leaves the container (or exec) running, as in Docker.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import select
import struct
import termios
from collections import deque
from collections.abc import AsyncIterator

from aiohttp import web

from pallet.api.framing import RAW, frame
from pallet.notation.detachkeys import EscapeFilter, parse_or_default
from pallet.server import streams
from pallet.server.backend import AttachSession

log = logging.getLogger("pallet.server")

_HIGH_WATER = 1 << 20
_LOW_WATER = 1 << 18
_HANGUP_POLL = 0.5
_HEAD_READ_LIMIT = 2.0
_HEAD_READ_POLL = 0.001


def wants_upgrade(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "tcp"


class Hijacked(asyncio.Protocol):
    """The raw connection after the 101: reads with EOF (half-close) and flow control."""

    def __init__(self, previous: asyncio.BaseProtocol, transport: asyncio.Transport,
                 initial: bytes, keep_input: bool, write_paused: bool) -> None:
        self._previous = previous
        self._transport = transport
        self._keep_input = keep_input
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._read_paused = False
        self._write_paused = write_paused
        self._eof = False
        self._reader: asyncio.Future[None] | None = None
        self._drainer: asyncio.Future[None] | None = None
        self._hangup_timer: asyncio.TimerHandle | None = None
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if initial:
            self.data_received(initial)

    # -- asyncio.Protocol ------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if not self._keep_input:
            return
        self._chunks.append(data)
        self._buffered += len(data)
        if self._buffered > _HIGH_WATER and not self._read_paused:
            self._read_paused = True
            self._transport.pause_reading()
        self._wake_reader()

    def eof_received(self) -> bool:
        self._eof = True
        self._wake_reader()
        self._watch_hangup()
        return True  # keep the socket open for writing output

    def _watch_hangup(self) -> None:
        """After EOF, tell a half-close from a full close: a unix socket whose peer is
        gone polls POLLHUP (a half-closed one does not). Then end the session."""
        self._hangup_timer = None
        if self.lost.done():
            return
        sock = self._transport.get_extra_info("socket")
        if sock is not None and sock.fileno() >= 0:
            poller = select.poll()
            poller.register(sock.fileno(), select.POLLHUP | select.POLLERR)
            if poller.poll(0):
                self._transport.abort()
                return
        loop = asyncio.get_running_loop()
        self._hangup_timer = loop.call_later(_HANGUP_POLL, self._watch_hangup)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._hangup_timer is not None:
            self._hangup_timer.cancel()
        self._eof = True
        self._wake_reader()
        if self._drainer is not None and not self._drainer.done():
            self._drainer.set_result(None)
        if not self.lost.done():
            self.lost.set_result(None)
        # let aiohttp's handler clean up its bookkeeping for this connection
        self._previous.connection_lost(exc)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._drainer is not None and not self._drainer.done():
            self._drainer.set_result(None)

    # -- for the pumps ---------------------------------------------------------------------
    def _wake_reader(self) -> None:
        if self._reader is not None and not self._reader.done():
            self._reader.set_result(None)

    async def read(self) -> bytes:
        """The next bytes from the client; ``b""`` at EOF (half-close) or disconnect."""
        while not self._chunks:
            if self._eof:
                return b""
            self._reader = asyncio.get_running_loop().create_future()
            try:
                await self._reader
            finally:
                self._reader = None
        data = self._chunks.popleft()
        self._buffered -= len(data)
        if self._read_paused and self._buffered < _LOW_WATER:
            self._read_paused = False
            self._transport.resume_reading()
        return data

    async def write(self, data: bytes) -> None:
        if self.lost.done() or self._transport.is_closing():
            raise ConnectionResetError("client connection closed")
        self._transport.write(data)
        if self._write_paused:
            self._drainer = asyncio.get_running_loop().create_future()
            try:
                await self._drainer
            finally:
                self._drainer = None

    @property
    def got_eof(self) -> bool:
        return self._eof and not self.lost.done()

    def _unread(self) -> int:
        """Bytes written that the peer has not read yet (0 when the kernel cannot tell)."""
        if self._transport.get_write_buffer_size():
            return 1
        sock = self._transport.get_extra_info("socket")
        if sock is None or sock.fileno() < 0:
            return 0
        try:
            raw = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
        except OSError:
            return 0
        unread: int = struct.unpack("i", raw)[0]
        return unread

    async def head_read(self) -> None:
        """Wait until the client has read everything sent so far (the 101 head)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _HEAD_READ_LIMIT
        while self._unread() and not self.lost.done() and loop.time() < deadline:
            await asyncio.sleep(_HEAD_READ_POLL)

    def hang_up(self) -> None:
        """End the connection (after a detach): output still queued is sent first."""
        self._transport.close()


def take_over(request: web.Request, keep_input: bool) -> Hijacked:
    """Swap the connection's protocol for a :class:`Hijacked` (after the 101 went out)."""
    handler = request.protocol
    transport = request.transport
    if transport is None or transport.is_closing():
        raise ConnectionResetError("client connection closed")
    # bytes already received behind the request (aiohttp keeps them for the upgrade)
    tail = bytes(handler._message_tail)
    handler._message_tail = b""
    conn = Hijacked(handler, transport, tail, keep_input, bool(handler._paused))
    transport.set_protocol(conn)
    if isinstance(transport, asyncio.ReadTransport) and not transport.is_reading():
        transport.resume_reading()
    return conn


async def _encoded(session: AttachSession) -> AsyncIterator[bytes]:
    tty = session.tty
    async for stream, data in session.output():
        if data:
            yield data if tty else frame(stream, data)


async def _pump(conn: Hijacked, session: AttachSession, stdin: bool) -> None:
    escape = EscapeFilter(parse_or_default(session.detach_keys)) if session.tty else None

    async def output() -> None:
        chunks = _encoded(session)
        try:
            await conn.head_read()
            async for chunk in chunks:
                await conn.write(chunk)
        finally:
            await streams.aclose(chunks)

    async def input() -> None:
        while True:
            data = await conn.read()
            if not data:
                break
            if escape is not None:
                data = escape.feed(data)
            if data:
                await session.write_stdin(data)
            if escape is not None and escape.detached:
                conn.hang_up()
                return
        if conn.got_eof:
            await session.close_stdin()

    out_task = asyncio.ensure_future(output())
    in_task = asyncio.ensure_future(input()) if stdin else None
    try:
        await asyncio.wait({out_task, conn.lost}, return_when=asyncio.FIRST_COMPLETED)
        if in_task is not None and in_task.done() and in_task.exception() is not None:
            log.warning("attach: writing stdin failed: %s", in_task.exception())
        if out_task.done() and not out_task.cancelled():
            exc = out_task.exception()
            if exc is not None and not isinstance(exc, ConnectionError):
                log.warning("attach: output failed: %s", exc)
    finally:
        for task in (out_task, in_task):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


async def serve(request: web.Request, session: AttachSession, *, stdin: bool,
                content_type: str) -> web.StreamResponse:
    """Serve an attach/exec session: hijacked when asked for, else a streamed 200."""
    try:
        if wants_upgrade(request):
            resp = web.StreamResponse(
                status=101, reason="UPGRADED",
                headers={"Connection": "Upgrade", "Upgrade": "tcp"},
            )
            resp.content_type = content_type
            await resp.prepare(request)
            conn = take_over(request, keep_input=stdin)
            resp.force_close()  # aiohttp closes the socket once this handler returns
            await _pump(conn, session, stdin)
            return resp
        resp = await streams.start(request, RAW)
        await streams.copy_out(request, resp, _encoded(session))
        await streams.finish(resp)
        return resp
    finally:
        with contextlib.suppress(Exception):
            await session.close()
