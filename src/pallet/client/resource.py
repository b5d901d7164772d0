"""What every resource module of the client shares: paths, queries, answers.

``path("/networks/{}/connect", ref)`` is the one place a name or ID becomes a URL
path segment: every argument is quoted (``quote_ref``), so no caller builds a URL
and no name reaches the daemon unquoted. ``Resource`` holds the transport, sends
a JSON body given as a wire dict or a request Struct of ``pallet.api.models``, and
turns an answer into what its method promises: nothing (``_done``), the wire JSON
(``_json``) or a msgspec Struct of ``pallet.api.responses`` (``_typed``). msgspec is
imported by the resource modules that decode Structs, never by this one, so the
commands on the ``run``/``exec`` path do not pay for it.
"""

from __future__ import annotations

from pallet.client.http import quote_ref

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any, TypeVar

    from pallet.client.http import Body, Query, Response, Transport
    from pallet.notation.filters import Filters

    T = TypeVar("T")


def path(template: str, *refs: str) -> str:
    """``template`` with each ``{}`` replaced by the quoted ref, in order."""
    return template.format(*(quote_ref(ref) for ref in refs))


def flag(value: bool) -> bool | None:
    """A boolean query parameter sent only when set (as the docker CLI does)."""
    return True if value else None


def filters_query(filters: Filters | None) -> str | None:
    """Docker's ``filters=`` JSON as the docker CLI sends it (``{"status":{"running":true}}``),
    or nothing for no filters."""
    if not filters:
        return None
    from pallet.client import jsoncodec

    return jsoncodec.dumps({k: dict.fromkeys(vs, True) for k, vs in filters.items()}).decode()


class Resource:
    """One Engine API resource over a transport (``client.networks`` and friends)."""

    def __init__(self, transport: Transport) -> None:
        self.t = transport

    def _call(
        self,
        method: str,
        url_path: str,
        query: Query = None,
        *,
        body: Body = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Response:
        if json_body is not None and not isinstance(json_body, dict | list):
            import msgspec  # a request Struct of pallet.api.models

            body, json_body = msgspec.json.encode(json_body), None
            headers = {**(headers or {}), "Content-Type": "application/json"}
        return self.t.request(method, url_path, query, body=body, json_body=json_body,
                              headers=headers, timeout=timeout)

    def _done(self, method: str, url_path: str, query: Query = None, *,
              json_body: Any = None) -> None:
        """Send, read the (empty) answer, close."""
        self._call(method, url_path, query, json_body=json_body).read()

    def _json(self, method: str, url_path: str, query: Query = None, *,
              json_body: Any = None) -> Any:
        """The answer's wire JSON (``None`` for an empty body)."""
        return self._call(method, url_path, query, json_body=json_body).json()

    def _typed(self, into: type[T], method: str, url_path: str, query: Query = None, *,
               json_body: Any = None) -> T:
        """The answer decoded into ``into`` (unknown fields ignored, as dockerd does)."""
        return decode(self._call(method, url_path, query, json_body=json_body).read(), into)


def decode(data: bytes, into: type[T]) -> T:
    """JSON bytes as ``into``; an empty body decodes as ``{}`` (the Struct's defaults).
    An answer of another shape is a DataCorruption naming the field, never a crash."""
    import msgspec

    try:
        return msgspec.json.decode(data if data.strip() else b"{}", type=into)
    except (msgspec.ValidationError, msgspec.DecodeError) as err:
        raise unexpected_answer(err) from None


def typed_lines(resp: Response, into: type[T]) -> Iterator[T]:
    """A JSON-lines answer (stats, events) decoded line by line into ``into``; closing
    the iterator closes the response."""
    import msgspec

    decoder = msgspec.json.Decoder(into)
    try:
        buf = b""
        for chunk in resp.chunks():
            buf += chunk
            *lines, buf = buf.split(b"\n")
            yield from (decoder.decode(line) for line in lines if line.strip())
        if buf.strip():
            yield decoder.decode(buf)
    except (msgspec.ValidationError, msgspec.DecodeError) as err:
        raise unexpected_answer(err) from None
    finally:
        resp.close()


def unexpected_answer(err: Exception) -> Exception:
    """The error for an answer that does not decode into its type."""
    from pallet.errors import DataCorruption

    return DataCorruption(f"unexpected answer from the daemon: {err}")


def decode_list(data: bytes, item: type[T]) -> list[T]:
    """A JSON array of ``item``; an empty body or ``null`` is no items."""
    if data.strip() in (b"", b"null"):
        return []
    items: list[T] = decode(data, list[item])  # type: ignore[valid-type]
    return items
