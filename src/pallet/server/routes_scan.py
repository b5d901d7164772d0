"""pallet's scan routes: ``GET /pallet/scan/db`` (the vulnerability database's
status) and ``POST /pallet/images/{name}/scan`` (inventory and findings).

The scan answers JSON lines as a pull does: progress messages
(``{"status", "id", "progressDetail": {"current", "total"}}``) while layers are
read, then ``{"aux": REPORT}``. ``?sbom=1`` asks for the inventory alone (no
database needed); ``?max_db_age=SECONDS`` refuses a stale database. A missing
image, or a missing or stale database, fails before the stream starts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from aiohttp import web

from pallet.errors import InvalidArgument
from pallet.scancore.model import DBStatus
from pallet.server import streams
from pallet.server.params import json_response, qbool, qstr


class ScanBackend(Protocol):
    def db_status(self) -> DBStatus:
        """The database's sources and freshness (no sources when none is imported)."""

    def scan(self, name: str, sbom_only: bool, max_age_s: int | None
             ) -> AsyncIterator[dict[str, Any]]:
        """Progress messages, then ``{"aux": report}``; raises before the first on bad input."""


def make_routes(be: ScanBackend) -> list[web.AbstractRouteDef]:
    routes = web.RouteTableDef()

    @routes.get("/pallet/scan/db")
    async def db_status(request: web.Request) -> web.Response:
        return json_response(be.db_status())

    @routes.post("/pallet/images/{name:.+}/scan")
    async def scan(request: web.Request) -> web.StreamResponse:
        age = qstr(request, "max_db_age")
        try:
            max_age = int(age) if age else None
        except ValueError:
            raise InvalidArgument(f"max_db_age must be seconds, not {age!r}") from None
        items = be.scan(request.match_info["name"], qbool(request, "sbom", False), max_age)
        return await streams.json_lines(request, items)

    return list(routes)
