"""Volume routes: ``/volumes``, ``/volumes/create``, ``/volumes/{name}``, prune.

``make_routes(backend)`` returns the route table bound to a ``VolumeBackend``.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from aiohttp import web

from pallet.api.responses import VolumesPruned
from pallet.api.view_volumes import Volume, VolumeList
from pallet.errors import InvalidArgument
from pallet.notation.filters import Filters
from pallet.server.params import json_response, no_content, qbool, qfilters


class VolumeBackend(Protocol):
    def list(self, filters: Filters) -> VolumeList: ...

    def create(self, body: dict[str, Any]) -> Volume: ...

    def inspect(self, name: str) -> Volume: ...

    def remove(self, name: str, force: bool) -> None: ...

    def prune(self, filters: Filters) -> VolumesPruned: ...


def make_routes(b: VolumeBackend) -> web.RouteTableDef:
    routes = web.RouteTableDef()

    @routes.get("/volumes")
    async def list_volumes(request: web.Request) -> web.Response:
        return json_response(b.list(qfilters(request)))

    @routes.post("/volumes/create")
    async def create_volume(request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError as e:
            raise InvalidArgument(f"invalid JSON body: {e}") from None
        if not isinstance(body, dict):
            raise InvalidArgument("invalid JSON body: expected an object")
        return json_response(b.create(body), status=201)

    @routes.post("/volumes/prune")
    async def prune_volumes(request: web.Request) -> web.Response:
        return json_response(b.prune(qfilters(request)))

    @routes.get("/volumes/{name}")
    async def inspect_volume(request: web.Request) -> web.Response:
        return json_response(b.inspect(request.match_info["name"]))

    @routes.delete("/volumes/{name}")
    async def remove_volume(request: web.Request) -> web.Response:
        b.remove(request.match_info["name"], qbool(request, "force"))
        return no_content()

    return routes
