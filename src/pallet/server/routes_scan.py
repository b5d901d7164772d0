"""pallet's scan routes: ``GET /pallet/scan/db`` (the vulnerability database's
status) and ``POST /pallet/scan/db?name=SOURCE`` (import an OSV zip, the request body, into
the database under palletd's state) and ``POST /pallet/images/{name}/scan``
(inventory and findings).

The scan answers JSON lines as a pull does: progress messages
(``{"status", "id", "progressDetail": {"current", "total"}}``) while layers are
read, then ``{"aux": REPORT}``. ``?sbom=1`` asks for the inventory alone (no
database needed); ``?max_db_age=SECONDS`` refuses a stale database. A missing
image, or a missing or stale database, fails before the stream starts.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web

from pallet.errors import InvalidArgument
from pallet.scancore.model import DBStatus, SourceStatus
from pallet.server import streams
from pallet.server.params import json_response, qbool, qstr

_SOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")


class ScanBackend(Protocol):
    spool_dir: Path

    def db_status(self) -> DBStatus:
        """The database's sources and freshness (no sources when none is imported)."""

    async def db_import(self, archive: Path, name: str, origin: str) -> SourceStatus:
        """Import an OSV zip as source ``name``, atomically."""

    def scan(self, name: str, sbom_only: bool, max_age_s: int | None
             ) -> AsyncIterator[dict[str, Any]]:
        """Progress messages, then ``{"aux": report}``; raises before the first on bad input."""


def make_routes(be: ScanBackend) -> list[web.AbstractRouteDef]:
    routes = web.RouteTableDef()

    @routes.get("/pallet/scan/db")
    async def db_status(request: web.Request) -> web.Response:
        return json_response(be.db_status())

    @routes.post("/pallet/scan/db")
    async def db_import(request: web.Request) -> web.Response:
        name = qstr(request, "name")
        if not _SOURCE.match(name):
            raise InvalidArgument(f"bad source name {name!r}: letters, digits and ._:- only")
        origin = qstr(request, "origin")
        if len(origin) > 4096:
            raise InvalidArgument("origin is longer than 4096 characters")
        async with streams.spooled(request, be.spool_dir, "osv-") as path:
            return json_response(await be.db_import(path, name, origin))

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
