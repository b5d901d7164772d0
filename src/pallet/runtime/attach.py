"""Client of conmon's attach socket (SOCK_SEQPACKET).

Each packet from conmon is one stream byte (2 = stdout, 3 = stderr) followed by data;
bytes we send go to the container's stdin (when conmon was started with ``-i``). A TTY
container's output arrives as stdout. Connect before ``start`` to see all output.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
from pathlib import Path

_STREAMS = {2: 1, 3: 2}  # conmon id -> Docker stream (1 stdout, 2 stderr)
BUF_SIZE = 8192 + 1  # conmon's STDIO_BUF_SIZE plus the stream byte


class AttachConnection:
    """``await AttachConnection.open(path)``; ``read()`` -> (stream, bytes) or None at EOF."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._loop = asyncio.get_running_loop()

    @classmethod
    async def open(cls, path: Path) -> AttachConnection:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
        sock.setblocking(False)
        try:
            await asyncio.get_running_loop().sock_connect(sock, os.fspath(path))
        except BaseException:
            sock.close()
            raise
        return cls(sock)

    async def read(self) -> tuple[int, bytes] | None:
        """Next output frame as (1 | 2, data); None when conmon closed the stream."""
        while True:
            try:
                pkt = await self._loop.sock_recv(self._sock, BUF_SIZE)
            except OSError as e:
                if e.errno in (errno.ECONNRESET, errno.EBADF, errno.ENOTCONN):
                    return None
                raise
            if not pkt:
                return None
            stream = _STREAMS.get(pkt[0])
            if stream is None or len(pkt) == 1:
                continue
            return stream, pkt[1:]

    async def write(self, data: bytes) -> None:
        """Send bytes to the container's stdin (split to conmon's buffer size)."""
        for i in range(0, len(data), BUF_SIZE - 1):
            await self._loop.sock_sendall(self._sock, data[i: i + BUF_SIZE - 1])

    def close_stdin(self) -> None:
        """Half-close: conmon closes the container's stdin (unless it leaves it open)."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._sock.close()

    async def __aenter__(self) -> AttachConnection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
