"""System routes: ``/_ping``, ``/version``, ``/info``, ``/events``, and the swarm-only
families answered with 503 as a non-swarm dockerd does. ``/system/df`` is the ops
router's (``routes_ops``), which counts volumes and the build cache too."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from pallet.api import versions
from pallet.api.responses import Event
from pallet.server import streams
from pallet.server.backend import SystemBackend
from pallet.server.errors import swarm_unavailable
from pallet.server.params import encode_json, json_response, qfilters, qtime

_PING_HEADERS = {
    "Api-Version": versions.CURRENT_STR,
    "Builder-Version": "1",
    "Swarm": "inactive",
    "Cache-Control": "no-cache, no-store, must-revalidate",
    "Pragma": "no-cache",
}


async def _event_lines(events: AsyncIterator[Event]) -> AsyncIterator[bytes]:
    try:
        async for event in events:
            yield encode_json(event) + b"\n"
    finally:
        await streams.aclose(events)


def make_routes(b: SystemBackend) -> web.RouteTableDef:
    """The system router: ping, version, info, events."""
    routes = web.RouteTableDef()

    @routes.get("/_ping", allow_head=False)
    async def ping(request: web.Request) -> web.Response:
        return web.Response(text="OK", headers=_PING_HEADERS)

    @routes.head("/_ping")
    async def ping_head(request: web.Request) -> web.Response:
        headers = {**_PING_HEADERS, "Content-Length": "0"}
        return web.Response(headers=headers, content_type="text/plain", charset="utf-8")

    @routes.get("/version")
    async def version(request: web.Request) -> web.Response:
        return json_response(await b.version())

    @routes.get("/info")
    async def info(request: web.Request) -> web.Response:
        return json_response(await b.info())

    @routes.get("/events")
    async def events(request: web.Request) -> web.StreamResponse:
        since, until = qtime(request, "since"), qtime(request, "until")
        stream = b.events(since, until, qfilters(request))
        resp = await streams.start(request, "application/json")
        await streams.copy_out(request, resp, _event_lines(stream))
        await streams.finish(resp)
        return resp

    for family in ("swarm", "services", "nodes", "tasks", "secrets", "configs", "plugins"):
        routes.route("*", f"/{family}")(swarm_unavailable)
        routes.route("*", f"/{family}/{{tail:.*}}")(swarm_unavailable)
    return routes
