"""Image routes. Names contain slashes and colons (``localhost:5000/a/b:tag``), so the
name routes match ``{name:.+}`` and are registered after the fixed paths. Push, login
and distribution inspect are the registry router's (``routes_registry``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from pallet.errors import InvalidArgument, PalletError, Unsupported
from pallet.server import streams
from pallet.server.backend import ImageBackend
from pallet.server.params import json_response, qbool, qfilters, qstr

NAME = "{name:.+}"


def _line(obj: Any) -> bytes:
    from pallet.server.params import encode_json

    return encode_json(obj) + b"\r\n"


def make_routes(b: ImageBackend) -> web.RouteTableDef:
    """The image router: list, inspect, history, tag, remove, prune, save, load, pull and import."""
    routes = web.RouteTableDef()

    @routes.get("/images/json")
    async def images_list(request: web.Request) -> web.Response:
        items = await b.images_list(
            qbool(request, "all"), qfilters(request), qbool(request, "digests")
        )
        return json_response(items)

    @routes.post("/images/prune")
    async def images_prune(request: web.Request) -> web.Response:
        return json_response(await b.images_prune(qfilters(request)))

    @routes.get("/images/get")
    async def images_get(request: web.Request) -> web.StreamResponse:
        names = [n for v in request.query.getall("names", []) for n in v.split(",") if n]
        if not names:
            raise InvalidArgument("no image names given")
        return await _save(request, names)

    @routes.post("/images/load")
    async def images_load(request: web.Request) -> web.Response:
        async with streams.spooled(request, b.spool_dir()) as path:
            try:
                lines = await b.image_load(path, qbool(request, "quiet"))
            except PalletError as e:  # as dockerd: a bad archive is an error in the stream
                return web.Response(body=streams.error_line(e.message),
                                    content_type="application/json")
        body = b"".join(
            _line({"stream": line if line.endswith("\n") else line + "\n"}) for line in lines
        )
        return web.Response(body=body, content_type="application/json")

    @routes.post("/images/create")
    async def images_create(request: web.Request) -> web.StreamResponse:
        from_src = qstr(request, "fromSrc")
        if from_src:
            return await _import(request, from_src)
        image = qstr(request, "fromImage")
        if not image:
            raise InvalidArgument("fromImage or fromSrc is required")
        auth = request.headers.get("X-Registry-Auth", "")
        items = await streams.resolve_iter(b.image_pull(
            image, qstr(request, "tag"), auth, qstr(request, "platform"), qbool(request, "all")))
        return await streams.json_lines(request, items)

    @routes.get("/images/search")
    async def images_search(request: web.Request) -> web.Response:
        raise Unsupported("image search is not supported by pallet")

    @routes.get(f"/images/{NAME}/json")
    async def image_inspect(request: web.Request) -> web.Response:
        return json_response(await b.image_inspect(request.match_info["name"]))

    @routes.get(f"/images/{NAME}/history")
    async def image_history(request: web.Request) -> web.Response:
        return json_response(await b.image_history(request.match_info["name"]))

    @routes.get(f"/images/{NAME}/get")
    async def image_get(request: web.Request) -> web.StreamResponse:
        return await _save(request, [request.match_info["name"]])

    @routes.post(f"/images/{NAME}/tag")
    async def image_tag(request: web.Request) -> web.Response:
        repo = qstr(request, "repo")
        if not repo:
            raise InvalidArgument("repository name cannot be empty")
        await b.image_tag(request.match_info["name"], repo, qstr(request, "tag"))
        return web.Response(status=201)

    @routes.delete(f"/images/{NAME}")
    async def image_remove(request: web.Request) -> web.Response:
        result = await b.image_remove(
            request.match_info["name"], qbool(request, "force"), qbool(request, "noprune")
        )
        return json_response(result)

    async def _save(request: web.Request, names: list[str]) -> web.StreamResponse:
        chunks = await streams.primed(b.image_save(names))
        resp = await streams.start(request, "application/x-tar")
        await streams.copy_out(request, resp, chunks)
        await streams.finish(resp)
        return resp

    async def _import(request: web.Request, from_src: str) -> web.StreamResponse:
        if from_src != "-":
            raise Unsupported("importing from a URL is not supported by pallet")
        changes = request.query.getall("changes", [])
        async with streams.spooled(request, b.spool_dir()) as path:
            image_id = await b.image_import(
                path, qstr(request, "repo"), qstr(request, "tag"), list(changes),
                qstr(request, "message"),
            )
        return web.Response(body=_line({"status": image_id}), content_type="application/json")

    return routes
