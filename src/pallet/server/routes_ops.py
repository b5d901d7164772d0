"""Operations routes: ``/containers/{id}/stats``, ``/containers/{id}/update``,
``/system/df`` (taking over the core's, with volumes and build cache), and
pallet's Prometheus ``/metrics``.

``make_routes(ops)`` builds the table over an ``OpsBackend`` (the daemon's ops
extension implements it). Stats are newline-delimited JSON, one document a
second while ``stream`` is true (dockerd's default), else one document.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from yarl import URL

from pallet.api.models import UpdateConfig
from pallet.api.responses import DiskUsage, UpdateResponse
from pallet.api.view_stats import ContainerStats
from pallet.errors import InvalidArgument
from pallet.server import streams
from pallet.server.params import body_as, encode_json, json_response, qbool

_PREFIX = re.compile(r"/v\d+\.\d+(/.*)?\Z", re.DOTALL)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Observe = Callable[[str, str, int, float], None]

DF_TYPES = ("container", "image", "volume", "build-cache")


class OpsBackend(Protocol):
    def stats(self, ref: str, stream: bool, one_shot: bool
              ) -> AsyncIterator[ContainerStats]: ...

    async def update(self, ref: str, body: UpdateConfig) -> UpdateResponse: ...

    def metrics_enabled(self) -> bool: ...

    async def metrics(self) -> bytes: ...

    async def df(self, types: list[str]) -> DiskUsage: ...


def make_routes(ops: OpsBackend) -> list[web.AbstractRouteDef]:
    routes = web.RouteTableDef()

    @routes.get("/containers/{id}/stats")
    async def stats(request: web.Request) -> web.StreamResponse:
        stream = qbool(request, "stream", True)
        one_shot = qbool(request, "one-shot")
        docs = await streams.primed(ops.stats(request.match_info["id"], stream, one_shot))
        if not stream:
            body = b""
            async for doc in docs:
                body += encode_json(doc) + b"\n"
            return web.Response(body=body, content_type="application/json")
        resp = await streams.start(request, "application/json")

        async def lines() -> AsyncIterator[bytes]:
            async for doc in docs:
                yield encode_json(doc) + b"\n"

        await streams.copy_out(request, resp, lines())
        await streams.finish(resp)
        return resp

    @routes.post("/containers/{id}/update")
    async def update(request: web.Request) -> web.Response:
        body = await body_as(request, UpdateConfig)
        result = await ops.update(request.match_info["id"], body)
        return json_response(result)

    @routes.get("/system/df")
    async def df(request: web.Request) -> web.Response:
        types = request.query.getall("type", [])
        for t in types:
            if t not in DF_TYPES:
                raise InvalidArgument(f"invalid type: {t}")
        return json_response(await ops.df(list(types)))

    @routes.get("/metrics")
    async def metrics(request: web.Request) -> web.Response:
        if not ops.metrics_enabled():
            raise web.HTTPNotFound(text="metrics are off: set \"metrics\": true in palletd's "
                                        "config (or PALLET_METRICS=1)")
        return metrics_response(await ops.metrics())

    return list(routes)


def metrics_response(body: bytes) -> web.Response:
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


class MetricsListener:
    """``metrics-addr``: ``GET /metrics`` alone over TCP (host, port), where Prometheus
    can scrape it; nothing is listened on when the address is None."""

    def __init__(self, addr: tuple[str, int] | None,
                 render: Callable[[], Awaitable[bytes]]) -> None:
        self.addr = addr
        self.render = render
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        if self.addr is None:
            return
        host, port = self.addr

        async def metrics(request: web.Request) -> web.Response:
            return metrics_response(await self.render())

        app = web.Application()
        app.router.add_get("/metrics", metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def route_of(request: web.Request) -> str:
    """The route template serving ``request`` (``/containers/{id}/json``), with any
    ``/vX.Y`` prefix removed; ``unmatched`` for a 404."""
    raw = request.rel_url.raw_path
    m = _PREFIX.match(raw) if raw.startswith("/v") else None
    if m is None:
        info = request.match_info
    else:
        clone = request.clone(rel_url=URL.build(path=m.group(1) or "/", encoded=True))
        info = await request.app.router.resolve(clone)
    if info.http_exception is not None or info.route.resource is None:
        return "unmatched"
    return info.route.resource.canonical


def latency_middleware(observe: Observe) -> Any:
    """An aiohttp middleware timing each request; goes before the edge middleware, so
    it sees the final status (errors included) and the unrewritten path."""

    @web.middleware
    async def timed(request: web.Request, handler: Handler) -> web.StreamResponse:
        t0 = time.perf_counter()
        code = 500
        try:
            resp = await handler(request)
            code = resp.status
            return resp
        except web.HTTPException as e:
            code = e.status
            raise
        finally:
            elapsed = time.perf_counter() - t0
            try:
                route = await route_of(request)
            except Exception:
                route = "unmatched"
            observe(request.method, route, code, elapsed)

    return timed
