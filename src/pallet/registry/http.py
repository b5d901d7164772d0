"""Plain HTTP values for the registry client: a request, a response, a connection pool.

The auth flows (:mod:`pallet.registry.auth`) work on these values only, so they are
testable without a server. :class:`Pool` keeps one keep-alive connection per
(scheme, host) and thread; bodies are streamed (``Response.read(n)``).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Protocol
from urllib.parse import urljoin, urlsplit

from pallet.errors import Unavailable

TIMEOUT = 60.0
BLOCK = 1 << 20  # socket write size for streamed bodies


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


Body = bytes | IO[bytes] | Readable | Iterable[bytes] | None


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Body = None
    # a body that can be sent again after a 401 (bytes or None); streams cannot
    replayable: bool = True


class Response:
    """Status, headers (lower-case keys) and a streamed body."""

    def __init__(self, status: int, headers: dict[str, str], url: str,
                 raw: http.client.HTTPResponse | None = None, body: bytes = b"") -> None:
        self.status = status
        self.headers = headers
        self.url = url
        self._raw = raw
        self._body = body
        self._pos = 0

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def read(self, n: int = -1) -> bytes:
        if self._raw is not None:
            try:
                data = self._raw.read(n) if n >= 0 else self._raw.read()
            except (OSError, http.client.HTTPException) as e:
                raise Unavailable(f"registry connection lost: {e}") from None
            if not data and n != 0 and self._raw.length:  # EOF before Content-Length
                raise Unavailable(
                    f"registry connection lost: the body ended {self._raw.length} bytes early")
            return data
        if n < 0:
            data, self._pos = self._body[self._pos:], len(self._body)
            return data
        data = self._body[self._pos:self._pos + n]
        self._pos += len(data)
        return data

    def iter(self, chunk: int = 1 << 20) -> Iterator[bytes]:
        while data := self.read(chunk):
            yield data

    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()

    @property
    def location(self) -> str:
        loc = self.header("location")
        return urljoin(self.url, loc) if loc else ""


class Pool:
    """Keep-alive HTTP(S) connections, one per thread and origin."""

    def __init__(self, timeout: float = TIMEOUT, tls: ssl.SSLContext | None = None) -> None:
        self.timeout = timeout
        self.tls = tls
        self._local = threading.local()

    def _conn(self, scheme: str, netloc: str, fresh: bool) -> http.client.HTTPConnection:
        conns: dict[tuple[str, str], http.client.HTTPConnection] = self._local.__dict__.setdefault(
            "conns", {})
        key = (scheme, netloc)
        conn = conns.get(key)
        if conn is None or fresh:
            if conn is not None:
                conn.close()
            if scheme == "https":
                ctx = self.tls or ssl.create_default_context()
                conn = http.client.HTTPSConnection(netloc, timeout=self.timeout, context=ctx,
                                                   blocksize=BLOCK)
            else:
                conn = http.client.HTTPConnection(netloc, timeout=self.timeout, blocksize=BLOCK)
            conns[key] = conn
        return conn

    def send(self, req: Request) -> Response:
        """Send ``req``; a stale keep-alive connection is retried once on a fresh one."""
        u = urlsplit(req.url)
        path = (u.path or "/") + (f"?{u.query}" if u.query else "")
        for attempt in (0, 1):
            conn = self._conn(u.scheme, u.netloc, fresh=attempt == 1)
            try:
                conn.request(req.method, path, body=req.body, headers=req.headers)
                raw = conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                conn.close()
                if attempt == 0 and req.replayable:
                    continue
                raise Unavailable(f"registry {u.netloc} closed the connection") from None
            except (OSError, http.client.HTTPException, ssl.SSLError) as e:
                conn.close()
                raise Unavailable(_describe(u.netloc, e)) from None
            headers = {k.lower(): v for k, v in raw.getheaders()}
            if req.method == "HEAD":
                raw.read()
                return Response(raw.status, headers, req.url)
            return Response(raw.status, headers, req.url, raw)
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        for conn in self._local.__dict__.get("conns", {}).values():
            conn.close()


def _describe(netloc: str, e: BaseException) -> str:
    if isinstance(e, ConnectionRefusedError):
        return f"cannot connect to registry {netloc}: connection refused"
    if isinstance(e, socket.timeout | TimeoutError):
        return f"registry {netloc} timed out"
    if isinstance(e, socket.gaierror):
        return f"cannot resolve registry host {netloc}: {e.strerror}"
    if isinstance(e, ssl.SSLError):
        return f"TLS handshake with registry {netloc} failed: {e.reason or e}"
    return f"registry {netloc}: {e}"
