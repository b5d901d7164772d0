"""A small synchronous Engine API transport on plain sockets (``pallet.client.wire``).

One connection per request (unix connects are cheap, and long-held requests such
as ``wait`` or ``logs -f`` must not block the next call). Non-2xx/3xx answers
become ``pallet.errors`` kinds via ``from_status`` with Docker's ``message``.
The API version is optimistic: requests go to ``/v1.44`` and, if the daemon says
that is too new, the client drops to the daemon's maximum and retries once.

Unix connections use ``_socket`` itself and JSON goes through ``jsoncodec``: the
``socket`` module (enum, selectors) and ``json`` (re) cost a ``pallet exec`` ~9 ms
of imports; ``socket`` is loaded for a TCP host only.
"""

from __future__ import annotations

import _socket
import errno
import os

from pallet import API_VERSION
from pallet.client import jsoncodec
from pallet.client.wire import WireResponse, send_request
from pallet.errors import PalletError, Unavailable, from_status

DEFAULT_SOCKET = "/run/pallet/pallet.sock"
# read only on a version fallback (re is imported there)
_TOO_NEW = r"Maximum supported API version is (\d+\.\d+)"

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from typing import IO, Any

    Query = Mapping[str, Any] | None
    Body = bytes | IO[bytes] | Iterator[bytes] | None
else:  # names for importers; only annotations use them
    Query = Body = None


def _vkey(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return (0,)


class ConnectionFailed(Unavailable):
    """The daemon's socket could not be reached (not a daemon answer)."""

    def __init__(self, message: str, missing: bool) -> None:
        super().__init__(message)
        self.missing = missing


def default_host() -> str:
    """``unix://$PALLET_RUN/pallet.sock`` when PALLET_RUN is set, else /run/pallet."""
    run = os.environ.get("PALLET_RUN")
    path = os.path.join(run, "pallet.sock") if run else DEFAULT_SOCKET
    return "unix://" + path


def resolve_host(flag: str | None) -> tuple[str, bool]:
    """(host, is_default) from ``-H``, ``PALLET_HOST``, ``DOCKER_HOST``, default."""
    for value in (flag, os.environ.get("PALLET_HOST"), os.environ.get("DOCKER_HOST")):
        if value:
            return normalize_host(value), False
    return default_host(), True


def normalize_host(host: str) -> str:
    if host.startswith("/"):
        return "unix://" + host
    if "://" not in host:
        return "tcp://" + host
    return host


def encode_query(query: Query) -> str:
    """Drop ``None`` values; bools as ``1``/``0``; lists repeat the key."""
    if not query:
        return ""
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        if value is None:
            continue
        if isinstance(value, bool):
            pairs.append((key, "1" if value else "0"))
        elif isinstance(value, list | tuple):
            pairs.extend((key, str(v)) for v in value)
        else:
            pairs.append((key, str(value)))
    if not pairs:
        return ""
    return "?" + "&".join(f"{_quote(k, plus=True)}={_quote(v, plus=True)}" for k, v in pairs)


def quote_ref(ref: str) -> str:
    """A name or ID as a path segment (image names keep their ``/`` and ``:``)."""
    return _quote(ref, "/:@")


_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")


def _quote(text: str, safe: str = "", plus: bool = False) -> str:
    """``urllib.parse.quote`` (``quote_plus`` with ``plus``) of UTF-8 text; written
    out because importing ``urllib.parse`` costs every command ~2.5 ms."""
    ok = _UNRESERVED.union(safe.encode())
    out = []
    for b in text.encode():
        if b in ok:
            out.append(chr(b))
        elif plus and b == 0x20:
            out.append("+")
        else:
            out.append(f"%{b:02X}")
    return "".join(out)


class Response:
    """A successful answer; read it as JSON, bytes, lines or chunks."""

    def __init__(self, raw: WireResponse) -> None:
        self.raw = raw
        self.status = raw.status
        self.headers = raw.headers

    def read(self) -> bytes:
        try:
            return self.raw.read()
        finally:
            self.close()

    def json(self) -> Any:
        data = self.read()
        return jsoncodec.loads(data) if data.strip() else None

    def chunks(self, size: int = 65536) -> Iterator[bytes]:
        try:
            while True:
                data = self.raw.read1(size)
                if not data:
                    return
                yield data
        finally:
            self.close()

    def read_exact(self, n: int) -> bytes:
        """Up to ``n`` bytes, fewer only at end of stream."""
        return self.raw.read(n)

    def close(self) -> None:
        self.raw.close()


class Transport:
    """Sends requests to one Engine API host."""

    def __init__(
        self,
        host: str | None = None,
        version: str | None = API_VERSION,
        timeout: float | None = None,
        on_unavailable: Callable[[], None] | None = None,
    ) -> None:
        self.host = normalize_host(host) if host else default_host()
        self.version = version
        self.confirmed = False  # a versioned request succeeded with self.version
        self.timeout = timeout
        self.on_unavailable = on_unavailable
        scheme, _, rest = self.host.partition("://")
        netloc, slash, path = rest.partition("/")
        self.scheme = scheme.lower()
        if self.scheme == "unix":
            self.socket_path = slash + path
        elif self.scheme in ("tcp", "http"):
            self.socket_path = ""
            self.netloc = netloc
        else:
            raise Unavailable(f"unsupported host scheme: {self.host}")

    # connection ----------------------------------------------------------
    def raw_socket(self, timeout: float | None = None) -> _socket.socket:
        """A connected socket (also for hijacked requests)."""
        if self.scheme == "unix":
            sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
            if timeout is not None:
                sock.settimeout(timeout)
            try:
                sock.connect(self.socket_path)
            except BaseException:
                sock.close()
                raise
            return sock
        import socket

        host, _, port = self.netloc.rpartition(":")
        return socket.create_connection((host, int(port)), timeout=timeout)

    def unreachable(self, err: OSError) -> ConnectionFailed:
        missing = err.errno in (errno.ENOENT, errno.ECONNREFUSED)
        return ConnectionFailed(
            f"Cannot connect to the pallet daemon at {self.host}. Is the pallet daemon running?",
            missing=missing,
        )

    def url(self, path: str, query: Query = None, versioned: bool = True,
            version: str | None = None) -> str:
        version = version or self.version
        prefix = f"/v{version}" if versioned and version else ""
        return prefix + path + encode_query(query)

    # requests ------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        query: Query = None,
        body: Body = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        versioned: bool = True,
    ) -> Response:
        """Send and return the answer once its headers arrived; raise on errors."""
        hdrs = dict(headers or {})
        data: Body = body
        if json_body is not None:
            data = jsoncodec.dumps(json_body)
            hdrs.setdefault("Content-Type", "application/json")
        replayable = data is None or isinstance(data, bytes)
        if not replayable and versioned and not self.confirmed:
            self.negotiate()
        autostarted = False
        while True:
            used = self.version  # another thread may lower it meanwhile
            try:
                raw = self._send(method, self.url(path, query, versioned, used), data, hdrs,
                                 timeout if timeout is not None else self.timeout)
            except ConnectionFailed as failed:
                if failed.missing and self.on_unavailable is not None and not autostarted:
                    autostarted = True
                    self.on_unavailable()
                    continue
                raise
            if 200 <= raw.status < 400:
                self.confirmed = self.confirmed or versioned
                return Response(raw)
            error = daemon_error(raw.status, raw.reason, raw.read())
            raw.close()
            if raw.status == 400 and replayable and versioned:
                import re

                m = re.search(_TOO_NEW, error.message)
                if m and m.group(1) != used:
                    self.version = m.group(1)
                    continue
            raise error

    def negotiate(self) -> None:
        """Learn the daemon's API version from ``/_ping`` before sending a body that
        cannot be sent twice (an older daemon refuses a too-new version only after
        the body started, so that request cannot be retried)."""
        resp = self.request("GET", "/_ping", versioned=False, timeout=5)
        resp.read()
        self.confirmed = True
        server = resp.headers.get("Api-Version")
        if server and self.version and _vkey(server) < _vkey(self.version):
            self.version = server

    def _send(self, method: str, url: str, data: Body, headers: dict[str, str],
              timeout: float | None) -> WireResponse:
        try:
            sock = self.raw_socket(timeout)
        except OSError as err:
            raise self.unreachable(err) from None
        try:
            send_request(sock, method, url, headers, data)
            return WireResponse(sock, head=method == "HEAD")
        except (ConnectionError, OSError) as err:
            sock.close()
            raise Unavailable(f"error during connect: {err}") from None



def daemon_error(status: int, reason: str, body: bytes) -> PalletError:
    """The error kind of a non-2xx answer, with Docker's ``{"message": ...}`` (or the
    body's text, or the status line) as its message; marked as the daemon's."""
    message = ""
    try:
        doc = jsoncodec.loads(body)
        if isinstance(doc, dict):
            message = str(doc.get("message", ""))
    except ValueError:
        message = body.decode("utf-8", "replace").strip()
    err = from_status(status, message or f"{status} {reason}".strip())
    setattr(err, "from_daemon", True)  # noqa: B010 - read by the CLI's describe()
    return err
