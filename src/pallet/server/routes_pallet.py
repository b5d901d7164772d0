"""pallet's own routes, beside the Engine API: ``POST /pallet/images/bootstrap``.

Bootstrap makes a base image without a registry (busybox from the host's
busybox-static, Debian from mmdebstrap). The answer is JSON lines, like a pull,
so the CLI can show progress the same way.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from pallet.errors import InvalidArgument, PalletError
from pallet.server.backend import BootstrapBackend
from pallet.server.params import encode_json


def _line(obj: object) -> bytes:
    return encode_json(obj) + b"\r\n"


def make_routes(b: BootstrapBackend) -> web.RouteTableDef:
    """pallet's own router: image bootstrap."""
    routes = web.RouteTableDef()

    @routes.post("/pallet/images/bootstrap")
    async def bootstrap(request: web.Request) -> web.StreamResponse:
        name = request.query.get("name", "")
        if not name:
            raise InvalidArgument("bootstrap needs ?name= (busybox or debian:bookworm)")
        be = b
        task = asyncio.ensure_future(be.image_bootstrap(name))
        done, _ = await asyncio.wait({task}, timeout=0.5)
        if done:
            image_id = task.result()  # errors before streaming get a proper status
            return web.Response(body=_line({"status": f"Bootstrapped {name}: {image_id}"})
                                + _line({"aux": {"ID": image_id}}), content_type="application/json")
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        await resp.prepare(request)
        await resp.write(_line({"status": f"Bootstrapping {name}", "id": name}))
        try:
            image_id = await task
            await resp.write(_line({"status": f"Bootstrapped {name}: {image_id}"}))
            await resp.write(_line({"aux": {"ID": image_id}}))
        except PalletError as e:
            await resp.write(_line({"errorDetail": {"message": e.message}, "error": e.message}))
        await resp.write_eof()
        return resp

    return routes
