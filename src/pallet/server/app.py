"""The palletd HTTP application and its unix socket.

``make_app`` assembles routers (each built by its module's ``make_routes`` from the
small backend protocol it needs), the edge middleware (versions, errors) and the
common headers; ``core_routers`` builds the engine core's routers over one backend.
``serve_unix`` binds the socket ``0660 root:pallet`` (group root when ``pallet`` does
not exist) before it listens, so it is never reachable with looser permissions.
"""

from __future__ import annotations

import contextlib
import grp
import os
import socket
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aiohttp import web

from pallet import __version__
from pallet.errors import InvalidArgument, Unavailable
from pallet.server import (
    routes_archive,
    routes_containers,
    routes_exec,
    routes_images,
    routes_pallet,
    routes_streams,
    routes_system,
)
from pallet.server.backend import Backend
from pallet.server.versions import VERSIONED_ROUTE, edge_middleware, response_headers

SOCKET_MODE = 0o660
CLIENT_MAX_SIZE = 64 * 1024 * 1024  # JSON bodies; archives and tars are read streaming


def core_routers(b: Backend) -> list[web.RouteTableDef]:
    """The engine core's routers over one backend, each built from the small protocol
    it needs (the daemon adds its other routers beside these)."""
    return [
        routes_system.make_routes(b),
        routes_containers.make_routes(b),
        routes_streams.make_routes(b),
        routes_archive.make_routes(b),
        routes_exec.make_routes(b),
        routes_images.make_routes(b),
        routes_pallet.make_routes(b),
    ]


def make_app(routers: Iterable[Iterable[web.AbstractRouteDef]], *,
             version_info: str = __version__, middlewares: Iterable[Any] = ()
             ) -> web.Application:
    """The Engine API application over ``routers``. No two routes may claim the same
    method and path: a router never takes over another's route. ``version_info`` goes
    into the ``Server`` header; ``middlewares`` (e.g. request timing) run outside the
    edge middleware."""
    app = web.Application(middlewares=[*middlewares, edge_middleware],
                          client_max_size=CLIENT_MAX_SIZE)
    app.on_response_prepare.append(response_headers(version_info))
    claimed: set[tuple[str, str]] = set()
    for table in routers:
        defs = list(table)
        for d in defs:
            if isinstance(d, web.RouteDef):
                key = (d.method, d.path)
                if key in claimed:
                    raise ValueError(f"two routers claim {d.method} {d.path}")
                claimed.add(key)
        app.router.add_routes(defs)
    app.router.add_routes([VERSIONED_ROUTE])
    return app


def _remove_stale(path: Path) -> None:
    """Remove a socket nobody listens on; refuse a live one or a non-socket."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        raise InvalidArgument(f"{path} exists and is not a socket")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        path.unlink()
    else:
        raise Unavailable(f"another daemon is already listening on {path}")
    finally:
        probe.close()


def socket_gid(group: str) -> int:
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        return 0


def bind_unix(socket_path: Path, group: str = "pallet") -> socket.socket:
    """A listening unix socket at ``socket_path``, mode 0660, owner root, group ``group``."""
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(socket_path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(socket_path))
        # permissions are set before listen(): no connection is possible until then
        os.chmod(socket_path, SOCKET_MODE)
        if os.geteuid() == 0:
            os.chown(socket_path, 0, socket_gid(group))
        sock.listen(1024)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        with contextlib.suppress(FileNotFoundError):
            socket_path.unlink()
        raise
    return sock


async def serve_unix(app: web.Application, socket_path: Path,
                     group: str = "pallet") -> web.AppRunner:
    """Start serving ``app`` on ``socket_path``; ``await runner.cleanup()`` stops it."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    try:
        sock = bind_unix(socket_path, group)
        site = web.SockSite(runner, sock)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner
