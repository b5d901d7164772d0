"""Container routes: lifecycle, inspect, list, wait, top, resize, prune.

Streams (logs, attach) and archive routes are in routes_streams and routes_archive.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from pallet.api.models import CreateRequest
from pallet.errors import InvalidArgument, NotFound, PalletError
from pallet.server import streams
from pallet.server.backend import ContainerBackend
from pallet.server.params import (
    body_as,
    encode_json,
    json_response,
    no_content,
    qbool,
    qfilters,
    qint,
    qstr,
)


async def _write_quietly(resp: web.StreamResponse, data: bytes) -> None:
    with contextlib.suppress(ConnectionError):
        await resp.write(data)
        await resp.write_eof()


async def _wait_error(resp: web.StreamResponse, exc: PalletError) -> None:
    body = {"StatusCode": -1, "Error": {"Message": exc.message}}
    await _write_quietly(resp, encode_json(body) + b"\n")


def make_routes(b: ContainerBackend) -> web.RouteTableDef:
    """The container router: lifecycle, inspect, list, wait, top, resize, prune."""
    routes = web.RouteTableDef()

    @routes.get("/containers/json")
    async def list_containers(request: web.Request) -> web.Response:
        limit = qint(request, "limit", -1)
        items = await b.list(
            qbool(request, "all"), -1 if limit is None else limit, qbool(request, "size"),
            qfilters(request),
        )
        return json_response(items)

    @routes.post("/containers/create")
    async def create(request: web.Request) -> web.Response:
        body = await body_as(request, CreateRequest)
        name = request.query.get("name") or None
        cid, warnings = await b.create(name, body)
        return json_response({"Id": cid, "Warnings": warnings or []}, status=201)

    @routes.post("/containers/prune")
    async def prune(request: web.Request) -> web.Response:
        return json_response(await b.prune(qfilters(request)))

    @routes.get("/containers/{id}/json")
    async def inspect(request: web.Request) -> web.Response:
        ref = request.match_info["id"]
        return json_response(await b.inspect(ref, qbool(request, "size")))

    @routes.post("/containers/{id}/start")
    async def start(request: web.Request) -> web.Response:
        await b.start(request.match_info["id"])
        return no_content()

    @routes.post("/containers/{id}/stop")
    async def stop(request: web.Request) -> web.Response:
        await b.stop(
            request.match_info["id"], qint(request, "t"), request.query.get("signal") or None
        )
        return no_content()

    @routes.post("/containers/{id}/restart")
    async def restart(request: web.Request) -> web.Response:
        await b.restart(
            request.match_info["id"], qint(request, "t"), request.query.get("signal") or None
        )
        return no_content()

    @routes.post("/containers/{id}/kill")
    async def kill(request: web.Request) -> web.Response:
        signal = request.query.get("signal") or "SIGKILL"
        await b.kill(request.match_info["id"], signal)
        return no_content()

    @routes.post("/containers/{id}/pause")
    async def pause(request: web.Request) -> web.Response:
        await b.pause(request.match_info["id"])
        return no_content()

    @routes.post("/containers/{id}/unpause")
    async def unpause(request: web.Request) -> web.Response:
        await b.unpause(request.match_info["id"])
        return no_content()

    @routes.post("/containers/{id}/rename")
    async def rename(request: web.Request) -> web.Response:
        name = qstr(request, "name")
        if not name:
            raise InvalidArgument("rename: new name cannot be empty")
        await b.rename(request.match_info["id"], name)
        return no_content()

    @routes.delete("/containers/{id}")
    async def remove(request: web.Request) -> web.Response:
        await b.remove(
            request.match_info["id"], qbool(request, "force"), qbool(request, "v")
        )
        return no_content()

    @routes.delete("/containers/{id}/{alias}")
    async def remove_link(request: web.Request) -> web.Response:
        """A legacy link's name is ``/parent/alias``: ``?link=1`` removes the link."""
        parent, alias = request.match_info["id"], request.match_info["alias"]
        if not qbool(request, "link"):
            raise NotFound(f"No such container: {parent}/{alias}")
        await b.remove_link(parent, alias)
        return no_content()

    @routes.post("/containers/{id}/wait")
    async def wait(request: web.Request) -> web.StreamResponse:
        """Held open. The 200 headers go out as soon as the wait is registered (the Go
        client blocks on them before ``docker run`` starts the container); a failure
        after that is reported in the body, as dockerd does."""
        condition = qstr(request, "condition") or "not-running"
        if condition not in ("not-running", "next-exit", "removed"):
            raise InvalidArgument(f"invalid condition: {condition!r}")
        task = asyncio.ensure_future(b.wait(request.match_info["id"], condition))
        try:
            for _ in range(3):  # let the backend resolve the container (NotFound) first
                if task.done():
                    break
                await asyncio.sleep(0)
            if task.done():
                return json_response(task.result())
            resp = await streams.start(request, "application/json")
            try:
                result = await streams.race_disconnect(request, asyncio.shield(task))
            except PalletError as exc:
                await _wait_error(resp, exc)
                return resp
        finally:
            if not task.done():  # the client went away, or we were cancelled
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        if result is not None:
            await _write_quietly(resp, encode_json(result) + b"\n")
        return resp

    @routes.get("/containers/{id}/top")
    async def top(request: web.Request) -> web.Response:
        ps_args = qstr(request, "ps_args")
        return json_response(await b.top(request.match_info["id"], ps_args))

    @routes.post("/containers/{id}/resize")
    async def resize(request: web.Request) -> web.Response:
        height, width = qint(request, "h", 0), qint(request, "w", 0)
        await b.resize(request.match_info["id"], height or 0, width or 0)
        return web.Response(status=200)

    return routes
