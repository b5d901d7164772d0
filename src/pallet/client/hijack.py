"""Connection hijack for attach and exec start.

The request carries ``Connection: Upgrade`` and ``Upgrade: tcp``; after the
daemon's ``101`` the socket is a raw bidirectional pipe: stdin goes in (half-close
at EOF), output comes back raw (TTY) or multiplexed.
"""

from __future__ import annotations

import _socket
import os

from pallet.client import jsoncodec
from pallet.client.http import daemon_error
from pallet.client.streams import STDERR, SYSTEMERR, FrameDecoder
from pallet.errors import Unavailable

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import IO, Any

    from pallet.client.http import Transport


class Hijacked:
    """A hijacked connection: the socket and any bytes read past the headers."""

    def __init__(self, sock: _socket.socket, leftover: bytes, content_type: str) -> None:
        self.sock = sock
        self.leftover = leftover
        self.content_type = content_type

    @property
    def multiplexed(self) -> bool:
        return "multiplexed" in self.content_type

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def _read_head(sock: _socket.socket) -> tuple[bytes, bytes]:
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise Unavailable("connection closed before the daemon answered the attach request")
        buf += data
        if len(buf) > 1 << 20:
            raise Unavailable("oversized response headers")
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head, rest


def hijack(
    transport: Transport,
    method: str,
    path: str,
    query: dict[str, Any] | None = None,
    json_body: Any = None,
) -> Hijacked:
    """Send an upgrade request and return the raw connection after ``101``."""
    url = transport.url(path, query)
    body = b"" if json_body is None else jsoncodec.dumps(json_body)
    ctype = "application/json" if json_body is not None else "text/plain"
    try:
        sock = transport.raw_socket()
    except OSError as err:
        raise transport.unreachable(err) from None
    request = (
        f"{method} {url} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: pallet-cli\r\n"
        f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
        "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
    ).encode() + body
    try:
        sock.sendall(request)
        head, rest = _read_head(sock)
    except BaseException:
        sock.close()
        raise
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        sock.close()
        raise Unavailable(f"malformed response: {lines[0]!r}") from None
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if status in (101, 200):
        return Hijacked(sock, rest, headers.get("content-type", ""))
    body_bytes = rest
    length = int(headers.get("content-length", "0") or 0)
    try:
        while len(body_bytes) < length:
            data = sock.recv(65536)
            if not data:
                break
            body_bytes += data
    finally:
        sock.close()
    parts = lines[0].split(" ", 2)
    raise daemon_error(status, parts[2] if len(parts) > 2 else "", body_bytes)


def _read_input(stream: IO[bytes]) -> bytes:
    """Read what is available. A real file descriptor is read with ``os.read``: a
    thread blocked inside a buffered reader's lock aborts the interpreter at exit."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        fd = -1
    if fd >= 0:
        return os.read(fd, 65536)
    read1 = getattr(stream, "read1", None)
    if read1 is not None:
        data: bytes = read1(65536)
        return data
    return stream.read(65536)


def pump(
    conn: Hijacked,
    stdin: IO[bytes] | None,
    write_out: Callable[[bytes], object],
    write_err: Callable[[bytes], object],
    tty: bool,
) -> None:
    """Copy stdin into the connection (half-close at EOF) and its output out.

    Returns when the daemon closes the output side.
    """
    if stdin is not None:
        import threading  # only a session with stdin needs a second thread

        def feed() -> None:
            try:
                while True:
                    data = _read_input(stdin)
                    if not data:
                        break
                    conn.sock.sendall(data)
                conn.sock.shutdown(_socket.SHUT_WR)
            except (OSError, ValueError):
                pass

        threading.Thread(target=feed, name="stdin", daemon=True).start()
    multiplexed = not tty
    decoder = FrameDecoder() if multiplexed else None

    def route(data: bytes) -> None:
        if decoder is None:
            write_out(data)
            return
        for stream, payload in decoder.feed(data):
            if stream in (STDERR, SYSTEMERR):
                write_err(payload)
            else:
                write_out(payload)

    if conn.leftover:
        route(conn.leftover)
    while True:
        try:
            data = conn.sock.recv(65536)
        except OSError:
            break
        if not data:
            break
        route(data)
