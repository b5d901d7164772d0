"""``client.system``: ping, version, info, events (as sent, or typed), disk usage.

``version`` and ``info`` stay wire documents (``pallet info`` and ``version`` print
many of their fields, ``--format`` any of them).
"""

from __future__ import annotations

from pallet.client.resource import Resource, filters_query

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from pallet.api.responses import DiskUsage, Event
    from pallet.client.http import Response
    from pallet.client.wire import Headers
    from pallet.notation.filters import Filters


class System(Resource):
    """``/_ping``, ``/version``, ``/info``, ``/events``, ``/system/df``."""

    def ping(self) -> Headers:
        """The answer's headers (``Api-Version``, ``Ostype``...); unversioned, as docker."""
        resp = self.t.request("GET", "/_ping", versioned=False, timeout=5)
        resp.read()
        return resp.headers

    def version(self) -> dict[str, Any]:
        doc: dict[str, Any] = self._json("GET", "/version")
        return doc

    def info(self) -> dict[str, Any]:
        doc: dict[str, Any] = self._json("GET", "/info")
        return doc

    def events(self, since: str | None = None, until: str | None = None,
               filters: Filters | None = None) -> Response:
        """JSON lines, one event each; without ``until`` the stream stays open."""
        q = {"since": since or None, "until": until or None, "filters": filters_query(filters)}
        return self._call("GET", "/events", q)

    def event_stream(self, since: str | None = None, until: str | None = None,
                     filters: Filters | None = None) -> Iterator[Event]:
        """The events as ``Event`` Structs (``events`` gives the documents as sent,
        for printing); closing the iterator ends the request."""
        from pallet.api.responses import Event
        from pallet.client.resource import typed_lines

        return typed_lines(self.events(since, until, filters), Event)

    def df(self) -> DiskUsage:
        from pallet.api.responses import DiskUsage

        return self._typed(DiskUsage, "GET", "/system/df")

    def df_raw(self) -> dict[str, Any]:
        """The daemon's document as sent (``pallet system df --format json``)."""
        doc: dict[str, Any] = self._json("GET", "/system/df")
        return doc
