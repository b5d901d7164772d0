"""Image routes. Names contain slashes and colons (``localhost:5000/a/b:tag``), so the
name routes match ``{name:.+}`` and are registered after the fixed paths."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from pallet.errors import InvalidArgument, Unsupported
from pallet.server import streams
from pallet.server.keys import backend
from pallet.server.params import json_response, qbool, qfilters, qstr

routes = web.RouteTableDef()

NAME = "{name:.+}"


@routes.get("/images/json")
async def images_list(request: web.Request) -> web.Response:
    items = await backend(request).images_list(
        qbool(request, "all"), qfilters(request), qbool(request, "digests")
    )
    return json_response(items)


@routes.post("/images/prune")
async def images_prune(request: web.Request) -> web.Response:
    return json_response(await backend(request).images_prune(qfilters(request)))


@routes.get("/images/get")
async def images_get(request: web.Request) -> web.StreamResponse:
    names = [n for v in request.query.getall("names", []) for n in v.split(",") if n]
    if not names:
        raise InvalidArgument("no image names given")
    return await _save(request, names)


@routes.post("/images/load")
async def images_load(request: web.Request) -> web.Response:
    be = backend(request)
    async with streams.spooled(request, be.spool_dir()) as path:
        lines = await be.image_load(path, qbool(request, "quiet"))
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
    items = await streams.resolve_iter(
        backend(request).image_pull(image, qstr(request, "tag"), auth)
    )
    return await streams.json_lines(request, items)


@routes.get("/images/search")
async def images_search(request: web.Request) -> web.Response:
    raise Unsupported("image search is not supported by pallet")


@routes.get(f"/images/{NAME}/json")
async def image_inspect(request: web.Request) -> web.Response:
    return json_response(await backend(request).image_inspect(request.match_info["name"]))


@routes.get(f"/images/{NAME}/history")
async def image_history(request: web.Request) -> web.Response:
    return json_response(await backend(request).image_history(request.match_info["name"]))


@routes.get(f"/images/{NAME}/get")
async def image_get(request: web.Request) -> web.StreamResponse:
    return await _save(request, [request.match_info["name"]])


@routes.post(f"/images/{NAME}/tag")
async def image_tag(request: web.Request) -> web.Response:
    repo = qstr(request, "repo")
    if not repo:
        raise InvalidArgument("repository name cannot be empty")
    await backend(request).image_tag(request.match_info["name"], repo, qstr(request, "tag"))
    return web.Response(status=201)


@routes.post(f"/images/{NAME}/push")
async def image_push(request: web.Request) -> web.Response:
    raise Unsupported("image push is not supported by pallet yet")


@routes.delete(f"/images/{NAME}")
async def image_remove(request: web.Request) -> web.Response:
    result = await backend(request).image_remove(
        request.match_info["name"], qbool(request, "force"), qbool(request, "noprune")
    )
    return json_response(result)


@routes.get(f"/distribution/{NAME}/json")
async def distribution(request: web.Request) -> web.Response:
    raise Unsupported("distribution inspect is not supported by pallet")


# -- helpers ---------------------------------------------------------------------------------
def _line(obj: Any) -> bytes:
    from pallet.server.params import encode_json

    return encode_json(obj) + b"\r\n"


async def _save(request: web.Request, names: list[str]) -> web.StreamResponse:
    chunks = await streams.primed(backend(request).image_save(names))
    resp = await streams.start(request, "application/x-tar")
    await streams.copy_out(request, resp, chunks)
    await streams.finish(resp)
    return resp


async def _import(request: web.Request, from_src: str) -> web.StreamResponse:
    if from_src != "-":
        raise Unsupported("importing from a URL is not supported by pallet")
    be = backend(request)
    changes = request.query.getall("changes", [])
    async with streams.spooled(request, be.spool_dir()) as path:
        image_id = await be.image_import(
            path, qstr(request, "repo"), qstr(request, "tag"), list(changes),
            qstr(request, "message"),
        )
    return web.Response(body=_line({"status": image_id}), content_type="application/json")
