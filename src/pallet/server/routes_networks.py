"""Network routes: ``/networks``, ``/networks/{id}``, create, connect, disconnect, prune.

``make_routes(backend)`` returns the route table bound to a ``NetworkBackend``.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from aiohttp import web

from pallet.api.models import (
    EndpointSettings,
    NetworkConnectRequest,
    NetworkDisconnectRequest,
)
from pallet.api.netmodels import NetworkCreate, wire_body
from pallet.api.responses import NetworkCreateResponse, NetworksPruned
from pallet.api.view_networks import Network
from pallet.errors import InvalidArgument
from pallet.notation.filters import Filters
from pallet.server.params import json_response, no_content, qfilters, qstr


class NetworkBackend(Protocol):
    async def list(self, filters: Filters) -> list[Network]: ...

    async def inspect(self, ref: str, verbose: bool, scope: str) -> Network: ...

    async def create(self, req: NetworkCreate) -> NetworkCreateResponse: ...

    async def remove(self, ref: str) -> None: ...

    async def connect(self, ref: str, container: str,
                      endpoint: EndpointSettings | None) -> None: ...

    async def disconnect(self, ref: str, container: str, force: bool) -> None: ...

    async def prune(self, filters: Filters) -> NetworksPruned: ...



async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise InvalidArgument(f"invalid JSON body: {e}") from None
    if not isinstance(data, dict):
        raise InvalidArgument("invalid JSON body: expected an object")
    return data


def make_routes(b: NetworkBackend) -> web.RouteTableDef:
    routes = web.RouteTableDef()


    @routes.get("/networks")
    async def list_networks(request: web.Request) -> web.Response:
        return json_response(await b.list(qfilters(request)))


    @routes.post("/networks/create")
    async def create_network(request: web.Request) -> web.Response:
        req = wire_body(await _body(request), NetworkCreate)
        return json_response(await b.create(req), status=201)


    @routes.post("/networks/prune")
    async def prune_networks(request: web.Request) -> web.Response:
        return json_response(await b.prune(qfilters(request)))


    @routes.get("/networks/{id}")
    async def inspect_network(request: web.Request) -> web.Response:
        verbose = qstr(request, "verbose") in ("1", "true")
        return json_response(await b.inspect(request.match_info["id"], verbose,
                                                             qstr(request, "scope")))


    @routes.delete("/networks/{id}")
    async def remove_network(request: web.Request) -> web.Response:
        await b.remove(request.match_info["id"])
        return no_content()


    @routes.post("/networks/{id}/connect")
    async def connect(request: web.Request) -> web.Response:
        req = wire_body(await _body(request), NetworkConnectRequest)
        if not req.Container:
            raise InvalidArgument("container name or ID cannot be empty")
        await b.connect(request.match_info["id"], req.Container, req.EndpointConfig)
        return web.Response(status=200)


    @routes.post("/networks/{id}/disconnect")
    async def disconnect(request: web.Request) -> web.Response:
        req = wire_body(await _body(request), NetworkDisconnectRequest)
        if not req.Container:
            raise InvalidArgument("container name or ID cannot be empty")
        await b.disconnect(request.match_info["id"], req.Container, req.Force)
        return web.Response(status=200)

    return routes
