"""The edge middleware: API version prefix, error mapping, common headers.

Requests may carry a ``/v{major}.{minor}`` path prefix. Versions below 1.24 are
refused with dockerd's message; newer ones are served as 1.44. Routes are declared
without the prefix: a prefixed request is routed again on the rest of its path (the
unprefixed route table stays small and indexed). Handlers read the effective version
with :func:`api_version`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import cast

from aiohttp import web
from yarl import URL

from pallet import __version__
from pallet.api import versions
from pallet.api.versions import Version
from pallet.server.errors import error_response, to_response

log = logging.getLogger("pallet.server")

VERSION_KEY = web.RequestKey("pallet.api_version", tuple)

_PREFIX = re.compile(r"/v(\d+)\.(\d+)(/.*)?\Z", re.DOTALL)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def api_version(request: web.Request) -> Version:
    """The version this request is served at."""
    return cast(Version, request.get(VERSION_KEY, versions.CURRENT))


async def _reroute(request: web.Request, rest: str) -> web.Request:
    """A clone of ``request`` whose path lacks the version prefix, routed on that path."""
    url = URL.build(path=rest, query_string=request.rel_url.raw_query_string, encoded=True)
    clone = request.clone(rel_url=url)
    match = await request.app.router.resolve(clone)
    match.add_app(request.app)
    match.freeze()
    clone._match_info = match  # what aiohttp's own dispatch sets
    return clone


async def _versioned_placeholder(request: web.Request) -> web.StreamResponse:
    """Target of ``VERSIONED_ROUTE``; the middleware reroutes before it could run."""
    raise web.HTTPNotFound()


# Matches any prefixed path, so the first (prefixed) resolve does not build a 404
# exception on every request; the middleware then routes the rest of the path.
VERSIONED_ROUTE = web.route("*", r"/v{_major:\d+}.{_minor:\d+}{_rest:(/.*)?}",
                            _versioned_placeholder)


@web.middleware
async def edge_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Version prefix and negotiation, then the handler, with every error mapped once."""
    try:
        raw = request.rel_url.raw_path
        if raw.startswith("/v") and (m := _PREFIX.match(raw)) is not None:
            rest = m.group(3) or "/"
            requested = (int(m.group(1)), int(m.group(2)))
            version = versions.negotiate(requested) if rest != "/_ping" else versions.CURRENT
            request = await _reroute(request, rest)
            handler = request.match_info.handler
        else:
            version = versions.CURRENT
        request[VERSION_KEY] = version
        return await handler(request)
    except ConnectionError as exc:
        # the client went away (reset, broken pipe, upload cut short): one line, no
        # traceback, so no socket user can flood the log with them
        log.info("client went away during %s %s: %s", request.method, request.path,
                 exc.strerror or exc)
        return error_response(400, "the client closed the connection")
    except Exception as exc:
        return to_response(exc)


def response_headers(server_version: str = __version__) -> Callable[
        [web.Request, web.StreamResponse], Awaitable[None]]:
    """An ``on_response_prepare`` hook adding dockerd's headers to every response."""
    server = f"pallet/{server_version} (linux)"
    fixed = (
        ("Api-Version", versions.CURRENT_STR),
        ("Ostype", "linux"),
        ("Server", server),
        ("Docker-Experimental", "false"),
    )

    async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
        headers = response.headers
        for name, value in fixed:
            headers[name] = value

    return add_headers
