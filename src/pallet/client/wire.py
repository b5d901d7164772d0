"""HTTP/1.1 on a socket, just what the Engine API needs.

The stdlib's ``http.client`` pulls in ``email`` and ``ssl`` (about 30 ms of imports,
a sixth of a ``pallet run``), so the CLI speaks the protocol itself: one request
per connection (``Connection: close``), bodies sized by ``Content-Length``,
chunked encoding, or the end of the connection.
"""

from __future__ import annotations

from pallet.errors import Unavailable

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    import _socket
    from collections.abc import Iterator, Mapping
    from typing import IO

_MAX_HEADER = 64 * 1024


class Headers(dict[str, str]):
    """Response headers; lookups ignore case, as HTTP says."""

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


class WireResponse:
    """Status line, headers, and a body reader over the connection's socket."""

    def __init__(self, sock: _socket.socket, head: bool = False) -> None:
        self.sock = sock
        self._buf = bytearray()
        self._eof = False
        lines = self._read_head().decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise Unavailable(f"malformed answer from the daemon: {lines[0][:80]!r}")
        self.status = int(parts[1])
        self.reason = parts[2] if len(parts) > 2 else ""
        self.headers = Headers()
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                self.headers[name.strip().lower()] = value.strip()
        self._chunked = "chunked" in (self.headers.get("transfer-encoding") or "").lower()
        length = self.headers.get("content-length")
        self._left: int | None = int(length) if length is not None and not self._chunked else None
        if head or self.status in (204, 304):
            self._left = 0
        elif self.status == 101:
            self._left = None
        self._chunk_left = 0
        self._done = self._left == 0

    # raw socket reading ------------------------------------------------------
    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    def _read_head(self) -> bytes:
        while True:
            end = self._buf.find(b"\r\n\r\n")
            if end >= 0:
                head = bytes(self._buf[:end])
                del self._buf[: end + 4]
                return head
            if len(self._buf) > _MAX_HEADER:
                raise Unavailable("the daemon's answer headers are too long")
            if not self._fill():
                raise ConnectionError("connection closed before the daemon answered")

    def _line(self) -> bytes:
        while (end := self._buf.find(b"\r\n")) < 0:
            if not self._fill():
                raise ConnectionError("connection closed inside a chunked body")
        line = bytes(self._buf[:end])
        del self._buf[: end + 2]
        return line

    def _take(self, n: int) -> bytes:
        """Up to ``n`` bytes from the buffer or one socket read."""
        if not self._buf and not self._eof:
            self._fill()
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def leftover(self) -> bytes:
        """Bytes read past the headers (the start of a hijacked stream)."""
        data = bytes(self._buf)
        self._buf.clear()
        return data

    # body ----------------------------------------------------------------------
    def read1(self, n: int = 65536) -> bytes:
        """Some body bytes (at most ``n``); ``b""`` at the end."""
        if self._done:
            return b""
        if self._chunked:
            if self._chunk_left == 0:
                size = int(self._line().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self._line():  # trailers
                        pass
                    self._done = True
                    return b""
                self._chunk_left = size
            data = self._take(min(n, self._chunk_left))
            if not data:
                raise ConnectionError("connection closed inside a chunk")
            self._chunk_left -= len(data)
            if self._chunk_left == 0:
                self._line()
            return data
        if self._left is not None:
            data = self._take(min(n, self._left))
            if not data:
                raise ConnectionError("connection closed before the body ended")
            self._left -= len(data)
            self._done = self._left == 0
            return data
        data = self._take(n)
        if not data:
            self._done = True
        return data

    def read(self, n: int = -1) -> bytes:
        if n >= 0:
            out = bytearray()
            while len(out) < n and (data := self.read1(n - len(out))):
                out += data
            return bytes(out)
        out = bytearray()
        while data := self.read1():
            out += data
        return bytes(out)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> WireResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def send_request(sock: _socket.socket, method: str, url: str, headers: Mapping[str, str],
                 body: bytes | IO[bytes] | Iterator[bytes] | None) -> None:
    """Write one request; a non-bytes body goes out chunked."""
    lines = [f"{method} {url} HTTP/1.1", "Host: docker", "User-Agent: pallet-cli",
             "Connection: close"]
    hdrs = dict(headers)
    if isinstance(body, bytes):
        hdrs["Content-Length"] = str(len(body))
    elif body is not None:
        hdrs["Transfer-Encoding"] = "chunked"
    elif method in ("POST", "PUT"):
        hdrs["Content-Length"] = "0"
    lines += [f"{k}: {v}" for k, v in hdrs.items()]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    if isinstance(body, bytes) or body is None:
        sock.sendall(head + (body or b""))
        return
    sock.sendall(head)
    chunks: Iterator[bytes]
    if hasattr(body, "read"):
        reader = body
        chunks = iter(lambda: reader.read(65536), b"")
    else:
        chunks = body
    tail = b""  # the CRLF that ends the previous chunk
    for chunk in chunks:
        if len(chunk) >= 65536:  # big: two sends rather than a copy of the chunk
            sock.sendall(b"%s%x\r\n" % (tail, len(chunk)))
            sock.sendall(chunk)
            tail = b"\r\n"
        elif chunk:
            sock.sendall(b"%s%x\r\n%s" % (tail, len(chunk), chunk))
            tail = b"\r\n"
    sock.sendall(tail + b"0\r\n\r\n")
