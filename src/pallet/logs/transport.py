"""Sending shipped log frames to a receiver: UDP, TCP, unix datagram and stream sockets.

A send never waits long: datagrams are sent non-blocking (a full socket buffer or a
refused port is an ``OSError``: the frame is dropped), a stream connection is opened
when needed with a timeout, and after a failure no new connection is tried for
``RETRY`` seconds (sends fail at once meanwhile), so a receiver that is down costs the
shipper nothing and the container nothing at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time

from pallet.logs.shipopts import Address

TIMEOUT = 5.0
RETRY = 1.0


class Transport:
    """One receiver; ``delimiter`` ends each frame on a stream (b"\\n" for syslog, b"\\0"
    for GELF, nothing for fluentd's msgpack)."""

    def __init__(self, address: Address, delimiter: bytes = b"") -> None:
        self.address = address
        self.delimiter = delimiter
        self._dgram: socket.socket | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._down_until = 0.0

    @property
    def datagram(self) -> bool:
        return self.address.scheme in ("udp", "unixgram")

    async def send(self, frame: bytes) -> None:
        if self.datagram:
            self._send_datagram(frame)
            return
        writer = await self._connect()
        try:
            writer.write(frame + self.delimiter)
            await asyncio.wait_for(writer.drain(), TIMEOUT)
        except (OSError, TimeoutError) as e:
            self._fail()
            raise OSError(f"log receiver {self.describe()}: {e}") from None

    def _send_datagram(self, frame: bytes) -> None:
        a = self.address
        if self._dgram is None:
            family = socket.AF_UNIX if a.scheme == "unixgram" else socket.AF_INET
            if a.scheme == "udp" and ":" in a.host:
                family = socket.AF_INET6
            self._dgram = socket.socket(family, socket.SOCK_DGRAM)
            self._dgram.setblocking(False)
        target = a.path if a.scheme == "unixgram" else (a.host, a.port)
        self._dgram.sendto(frame, target)

    async def _connect(self) -> asyncio.StreamWriter:
        if self._writer is not None and not self._writer.is_closing():
            return self._writer
        if time.monotonic() < self._down_until:
            raise OSError(f"log receiver {self.describe()} is down")
        a = self.address
        try:
            if a.scheme == "unix":
                opening = asyncio.open_unix_connection(a.path)
            else:
                opening = asyncio.open_connection(a.host, a.port)
            _, writer = await asyncio.wait_for(opening, TIMEOUT)
        except (OSError, TimeoutError) as e:
            self._fail()
            raise OSError(f"log receiver {self.describe()}: {e}") from None
        self._writer = writer
        return writer

    def _fail(self) -> None:
        self._down_until = time.monotonic() + RETRY
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def describe(self) -> str:
        a = self.address
        return f"{a.scheme}://{a.path or f'{a.host}:{a.port}'}"

    async def close(self) -> None:
        if self._dgram is not None:
            self._dgram.close()
            self._dgram = None
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._writer.wait_closed(), 1)
            self._writer = None
