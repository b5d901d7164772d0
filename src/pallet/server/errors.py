"""Error kinds to HTTP, in one place.

Every failure leaves the server as Docker's ``{"message": "..."}`` JSON body with the
status of its kind; 304 carries no body. Unknown exceptions are logged and become 500.
"""

from __future__ import annotations

import logging

import msgspec
from aiohttp import web

from pallet import errors

log = logging.getLogger("pallet.server")

SWARM_MESSAGE = (
    'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" '
    "to connect this node to swarm and try again."
)


def status_of(exc: errors.PalletError) -> int:
    """The HTTP status of an error kind: the kind's own ``status`` (subclasses inherit it)."""
    return exc.status


def error_response(status: int, message: str) -> web.Response:
    """Docker's error shape; 304 has no body."""
    if status == 304:
        return web.Response(status=304)
    body = msgspec.json.encode({"message": message})
    return web.Response(status=status, body=body, content_type="application/json")


def to_response(exc: BaseException) -> web.Response:
    """Map any exception a handler raised to a response (logs the unexpected ones)."""
    if isinstance(exc, errors.PalletError):
        status = status_of(exc)
        if status >= 500 and status != 501:  # "not supported" is no fault of the daemon's
            log.error("%s", exc.message)
        return error_response(status, exc.message)
    if isinstance(exc, web.HTTPException):
        if exc.status in (404, 405):
            return error_response(404, "page not found")
        return error_response(exc.status, exc.text or exc.reason)
    if isinstance(exc, msgspec.ValidationError | msgspec.DecodeError):
        return error_response(400, f"invalid JSON: {exc}")
    log.exception("unexpected error", exc_info=exc)
    return error_response(500, str(exc) or type(exc).__name__)


async def swarm_unavailable(request: web.Request) -> web.Response:
    """Swarm, services, nodes, tasks, secrets, configs, plugins: not a swarm manager."""
    return error_response(503, SWARM_MESSAGE)
