"""Exec routes: create, start (detached, hijacked or streamed), resize, inspect."""

from __future__ import annotations

from aiohttp import web

from pallet.api.framing import stream_content_type
from pallet.api.models import ExecConfig, ExecStartConfig
from pallet.server import hijack
from pallet.server.backend import ExecBackend
from pallet.server.params import body_as, json_response, qint
from pallet.server.versions import api_version


def make_routes(b: ExecBackend) -> web.RouteTableDef:
    """The exec router: create, start, resize, inspect."""
    routes = web.RouteTableDef()

    @routes.post("/containers/{id}/exec")
    async def exec_create(request: web.Request) -> web.Response:
        config = await body_as(request, ExecConfig)
        exec_id = await b.exec_create(request.match_info["id"], config)
        return json_response({"Id": exec_id}, status=201)

    @routes.post("/exec/{id}/start")
    async def exec_start(request: web.Request) -> web.StreamResponse:
        config = await body_as(request, ExecStartConfig)
        exec_id = request.match_info["id"]
        session = await b.exec_start(exec_id, config.Detach, config.Tty)
        if session is None:
            return web.Response(status=200)
        # input is always pumped: a session without stdin drops it (and ignores close_stdin)
        content_type = stream_content_type(session.tty, api_version(request))
        return await hijack.serve(request, session, stdin=True, content_type=content_type)

    @routes.post("/exec/{id}/resize")
    async def exec_resize(request: web.Request) -> web.Response:
        height, width = qint(request, "h", 0), qint(request, "w", 0)
        await b.exec_resize(request.match_info["id"], height or 0, width or 0)
        return web.Response(status=200)

    @routes.get("/exec/{id}/json")
    async def exec_inspect(request: web.Request) -> web.Response:
        return json_response(await b.exec_inspect(request.match_info["id"]))

    return routes
