"""``POST /commit``, ``GET /containers/{id}/changes`` and ``GET /containers/{id}/export``.

``make_routes(backend)`` builds the table over a ``CommitBackend`` (the daemon's
commit extension implements it); these routes take over the core's 501 answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

import msgspec
from aiohttp import web

from pallet.api.models import ContainerConfig
from pallet.api.responses import FilesystemChange
from pallet.engine.commitconfig import CommitRequest
from pallet.errors import NotFound
from pallet.server import streams
from pallet.server.params import body_as, json_response, qbool, qstr


class CommitBackend(Protocol):
    async def commit(self, ref: str, req: CommitRequest) -> str:
        """Commit the container; returns the new image ID."""

    async def changes(self, ref: str) -> list[FilesystemChange]:
        """``[{"Path": "/etc", "Kind": 0}, ...]``: 0 modified, 1 added, 2 deleted."""

    def export(self, ref: str) -> AsyncIterator[bytes]:
        """The container's root filesystem as a tar stream."""


async def _config(request: web.Request) -> dict[str, Any] | None:
    if not request.can_read_body:
        return None
    cfg = await body_as(request, ContainerConfig | None)  # type: ignore[arg-type]
    if cfg is None:
        return None
    doc: dict[str, Any] = msgspec.to_builtins(cfg)
    return doc or None


def make_routes(be: CommitBackend) -> list[web.AbstractRouteDef]:
    routes = web.RouteTableDef()

    @routes.post("/commit")
    async def commit(request: web.Request) -> web.Response:
        ref = qstr(request, "container")
        if not ref:
            raise NotFound("No such container: ")
        req = CommitRequest(
            repo=qstr(request, "repo"), tag=qstr(request, "tag"),
            author=qstr(request, "author"), comment=qstr(request, "comment"),
            pause=qbool(request, "pause", True),
            changes=tuple(c for c in request.query.getall("changes", []) if c.strip()),
            config=await _config(request),
        )
        image_id = await be.commit(ref, req)
        return json_response({"Id": image_id}, status=201)

    @routes.get("/containers/{id}/changes")
    async def changes(request: web.Request) -> web.Response:
        return json_response(await be.changes(request.match_info["id"]))

    @routes.get("/containers/{id}/export")
    async def export(request: web.Request) -> web.StreamResponse:
        chunks = await streams.primed(be.export(request.match_info["id"]))
        resp = await streams.start(request, "application/x-tar")
        await streams.copy_out(request, resp, chunks)
        await streams.finish(resp)
        return resp

    return list(routes)
