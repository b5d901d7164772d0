"""Docker's stdio stream framing (moby ``pkg/stdcopy``), shared by server and client.

A multiplexed stream is a sequence of frames: an 8-byte header
``[stream, 0, 0, 0, size (uint32 big-endian)]`` then ``size`` bytes. A TTY stream
is raw bytes with no headers.
"""

from __future__ import annotations

import struct

STDIN = 0
STDOUT = 1
STDERR = 2
SYSTEMERR = 3

MULTIPLEXED = "application/vnd.docker.multiplexed-stream"
RAW = "application/vnd.docker.raw-stream"

HEADER = struct.Struct(">BxxxI")
HEADER_SIZE = HEADER.size
_MAX_FRAME = 0xFFFFFFFF


def frame(stream: int, data: bytes) -> bytes:
    """One multiplexed frame carrying ``data`` on ``stream``."""
    if len(data) > _MAX_FRAME:  # pragma: no cover - a 4 GiB chunk
        raise ValueError("frame payload too large")
    return HEADER.pack(stream, len(data)) + data


def stream_content_type(tty: bool, api_version: tuple[int, int]) -> str:
    """The Content-Type of an attach/exec/logs stream (multiplexed only from API 1.42)."""
    if not tty and api_version >= (1, 42):
        return MULTIPLEXED
    return RAW


class FrameDecoder:
    """Incremental decoder: ``feed(bytes)`` returns the complete frames seen so far."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._buf += data
        out: list[tuple[int, bytes]] = []
        buf = self._buf
        pos = 0
        while len(buf) - pos >= HEADER_SIZE:
            stream, size = HEADER.unpack_from(buf, pos)
            end = pos + HEADER_SIZE + size
            if len(buf) < end:
                break
            out.append((stream, bytes(buf[pos + HEADER_SIZE:end])))
            pos = end
        if pos:
            del buf[:pos]
        return out

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame still buffered."""
        return len(self._buf)
