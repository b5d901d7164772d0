"""Registry routes: ``POST /images/{name}/push``, ``POST /auth`` and
``GET /distribution/{name}/json``, over a :class:`RegistryBackend`. Push takes
pallet's ``compression`` (gzip|zstd|none) and ``compression-level`` query parameters
for the layers it stores uncompressed. Pulls go through
the image router (``POST /images/create``), whose backend pulls with the same registry
client. ``X-Registry-Auth`` is passed through undecoded (the backend decodes it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from aiohttp import web

from pallet.api.responses import AuthResponse
from pallet.errors import InvalidArgument
from pallet.oci.compression import GZIP, Compression, parse
from pallet.server import streams
from pallet.server.params import json_response, qint, qstr

Wire = dict[str, Any]
NAME = "{name:.+}"


class RegistryBackend(Protocol):
    def push(self, name: str, tag: str, auth: str,
             compression: Compression = GZIP) -> AsyncIterator[Wire]:
        """Push progress messages; the last carries ``aux`` {Tag, Digest, Size}."""

    async def login(self, body: Wire) -> AuthResponse:
        """Check credentials against the registry: ``{"Status": "Login Succeeded"}``."""

    async def distribution(self, name: str, auth: str) -> Wire:
        """``{"Descriptor": ..., "Platforms": [...]}`` of a remote image."""


def make_routes(be: RegistryBackend) -> web.RouteTableDef:
    routes = web.RouteTableDef()

    @routes.post(f"/images/{NAME}/push")
    async def image_push(request: web.Request) -> web.StreamResponse:
        how = parse(qstr(request, "compression") or None, qint(request, "compression-level"))
        items = be.push(request.match_info["name"], qstr(request, "tag"),
                        request.headers.get("X-Registry-Auth", ""), how)
        return await streams.json_lines(request, items)

    @routes.post("/auth")
    async def auth(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            raise InvalidArgument("invalid JSON body") from None
        return json_response(await be.login(body))

    @routes.get(f"/distribution/{NAME}/json")
    async def distribution(request: web.Request) -> web.Response:
        auth_ = request.headers.get("X-Registry-Auth", "")
        return json_response(await be.distribution(request.match_info["name"], auth_))

    return routes
