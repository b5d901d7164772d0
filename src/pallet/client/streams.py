"""Engine API stream formats: multiplexed stdout/stderr frames and JSON lines.

A frame is an 8-byte header ``[stream, 0, 0, 0, size_be32]`` and ``size`` bytes;
stream 0 stdin, 1 stdout, 2 stderr, 3 system error. With a TTY the bytes are raw.
The header is read with ``int.from_bytes`` and ``json`` is imported by the JSON-lines
readers only: ``pallet exec`` demultiplexes without ``struct`` or ``json``.
"""

from __future__ import annotations

from pallet.errors import DataCorruption, PalletError

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any

STDIN, STDOUT, STDERR, SYSTEMERR = 0, 1, 2, 3


def frame(stream: int, data: bytes) -> bytes:
    """Encode one multiplexed frame."""
    return bytes((stream, 0, 0, 0)) + len(data).to_bytes(4, "big") + data


class FrameDecoder:
    """Incremental demultiplexer: feed bytes as they arrive, get whole frames."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._buf += data
        out: list[tuple[int, bytes]] = []
        while len(self._buf) >= 8:
            stream, size = self._buf[0], int.from_bytes(self._buf[4:8], "big")
            if stream > 3:
                raise DataCorruption(f"unrecognized input header: {stream}")
            if len(self._buf) < 8 + size:
                break
            out.append((stream, bytes(self._buf[8 : 8 + size])))
            del self._buf[: 8 + size]
        return out

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame still buffered."""
        return len(self._buf)


def demux(chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """Frames from a byte stream in arbitrary chunks."""
    decoder = FrameDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    if decoder.pending:
        raise DataCorruption("stream ended inside a frame")


def copy_frames(
    chunks: Iterable[bytes],
    write_out: Callable[[bytes], object],
    write_err: Callable[[bytes], object],
    tty: bool = False,
) -> None:
    """Route a (possibly multiplexed) stream to stdout/stderr writers."""
    if tty:
        for chunk in chunks:
            write_out(chunk)
        return
    for stream, data in demux(chunks):
        if stream in (STDERR, SYSTEMERR):
            write_err(data)
        else:
            write_out(data)


def json_lines(chunks: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """Objects from a JSON-lines stream (``\\n`` or ``\\r\\n`` separated)."""
    buf = b""
    for chunk in chunks:
        buf += chunk
        while True:
            nl = buf.find(b"\n")
            if nl < 0:
                break
            line, buf = buf[:nl].strip(), buf[nl + 1 :]
            if line:
                yield _decode(line)
    if buf.strip():
        # a final object without a newline, or several concatenated objects
        import json

        decoder = json.JSONDecoder()
        text = buf.decode().strip()
        pos = 0
        while pos < len(text):
            obj, end = decoder.raw_decode(text, pos)
            yield obj if isinstance(obj, dict) else {"value": obj}
            pos = end
            while pos < len(text) and text[pos].isspace():
                pos += 1


def progress_messages(chunks: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """The messages of a JSON-lines progress stream (pull, push, build, load, import,
    bootstrap, scan); an error message in the stream raises it as a PalletError with
    its own text (the request itself succeeded, so it is no daemon error answer)."""
    for msg in json_lines(chunks):
        if msg.get("errorDetail") or msg.get("error"):
            detail = msg.get("errorDetail") or {}
            raise PalletError(str(detail.get("message") or msg.get("error")))
        yield msg


def _decode(line: bytes) -> dict[str, Any]:
    from pallet.client import jsoncodec

    try:
        obj = jsoncodec.loads(line)
    except ValueError:
        raise DataCorruption(f"invalid JSON in stream: {line[:80]!r}") from None
    return obj if isinstance(obj, dict) else {"value": obj}
