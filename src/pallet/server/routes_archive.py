"""``/containers/{id}/archive``: HEAD (stat), GET (tar out), PUT (tar in, streamed)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

from aiohttp import web

from pallet.errors import InvalidArgument, sent_by_client
from pallet.server import streams
from pallet.server.backend import ArchiveBackend, PathStat
from pallet.server.params import encode_json, qbool, qstr

STAT_HEADER = "X-Docker-Container-Path-Stat"


_CHUNK = 64 * 1024


def stat_header(stat: PathStat) -> str:
    """base64 of the JSON ``{name, size, mode, mtime, linkTarget}``."""
    doc = {
        "name": stat.name,
        "size": stat.size,
        "mode": stat.mode,
        "mtime": stat.mtime,
        "linkTarget": stat.link_target,
    }
    return base64.b64encode(encode_json(doc)).decode()


def _path(request: web.Request) -> str:
    path = qstr(request, "path")
    if not path:
        raise InvalidArgument("path cannot be empty")
    if "\x00" in path:
        raise InvalidArgument("invalid path: it contains a NUL byte")
    return path


async def _body(request: web.Request) -> AsyncIterator[bytes]:
    async for chunk in request.content.iter_chunked(_CHUNK):
        yield chunk


def make_routes(b: ArchiveBackend) -> web.RouteTableDef:
    """The archive router: stat, get and put paths in a container."""
    routes = web.RouteTableDef()

    @routes.head("/containers/{id}/archive")
    async def archive_head(request: web.Request) -> web.Response:
        stat = await b.archive_stat(request.match_info["id"], _path(request))
        return web.Response(status=200, headers={STAT_HEADER: stat_header(stat)})

    @routes.get("/containers/{id}/archive", allow_head=False)
    async def archive_get(request: web.Request) -> web.StreamResponse:
        stat, chunks = await b.archive_get(request.match_info["id"], _path(request))
        chunks = await streams.primed(chunks)
        resp = await streams.start(request, "application/x-tar",
                                   headers={STAT_HEADER: stat_header(stat)})
        await streams.copy_out(request, resp, chunks)
        await streams.finish(resp)
        return resp

    @routes.put("/containers/{id}/archive")
    async def archive_put(request: web.Request) -> web.Response:
        with sent_by_client("invalid archive"):  # a broken upload is the caller's 400
            await b.archive_put(
                request.match_info["id"], _path(request), _body(request),
                qbool(request, "noOverwriteDirNonDir"),
            )
        return web.Response(status=200)

    return routes
