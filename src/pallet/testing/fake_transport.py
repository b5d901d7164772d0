"""A ``pallet.client`` transport that talks to no daemon: it records each request
(method, URL as sent, headers, body) and answers from a script.

The answer goes through the real HTTP reader (``wire.WireResponse`` over a socket
pair) and the real error mapping, so a test of a client method proves the URL it
builds (path, quoting, query encoding) and how it decodes the answer.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pallet.client.http import Body, Transport
from pallet.client.wire import WireResponse


@dataclass
class Sent:
    """One request as the transport sent it."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None

    @property
    def path(self) -> str:
        return self.url.partition("?")[0]

    @property
    def query(self) -> str:
        return self.url.partition("?")[2]

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class FakeTransport(Transport):
    """Records requests; answers with the queued ``Answer``s (then 200 with no body)."""

    def __init__(self) -> None:
        super().__init__("unix:///nonexistent/fake.sock")
        self.sent: list[Sent] = []
        self.answers: list[Answer] = []

    def answer(self, doc: Any = None, status: int = 200, raw: bytes | None = None,
               headers: dict[str, str] | None = None) -> None:
        """Queue the next answer: ``doc`` as JSON, or ``raw`` bytes."""
        body = raw if raw is not None else (b"" if doc is None else json.dumps(doc).encode())
        self.answers.append(Answer(status, body, dict(headers or {})))

    @property
    def last(self) -> Sent:
        return self.sent[-1]

    def _send(self, method: str, url: str, data: Body, headers: dict[str, str],
              timeout: float | None) -> WireResponse:
        self.sent.append(Sent(method, url, dict(headers), _bytes(data)))
        reply = self.answers.pop(0) if self.answers else Answer()
        ours, theirs = socket.socketpair()
        head = [f"HTTP/1.1 {reply.status} X", f"Content-Length: {len(reply.body)}"]
        head += [f"{k}: {v}" for k, v in reply.headers.items()]
        if reply.body and "Content-Type" not in reply.headers:
            head.append("Content-Type: application/json")
        theirs.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + reply.body)
        theirs.close()
        return WireResponse(ours, head=method == "HEAD")


def _bytes(data: Body) -> bytes | None:
    if data is None or isinstance(data, bytes):
        return data
    if hasattr(data, "read"):
        out: bytes = data.read()
        return out
    chunks: Iterator[bytes] = data
    return b"".join(chunks)
