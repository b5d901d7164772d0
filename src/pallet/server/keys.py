"""Typed application keys shared by the route modules."""

from __future__ import annotations

from aiohttp import web

from pallet.server.backend import Backend

BACKEND = web.AppKey("pallet.backend", Backend)


def backend(request: web.Request) -> Backend:
    return request.app[BACKEND]
