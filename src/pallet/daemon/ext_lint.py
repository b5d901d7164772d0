"""Lint extension: ``pallet lint`` and ``pallet check`` served by palletd
(``server.routes_lint``), over the linter core and the engine's container inspect."""

from __future__ import annotations

from pallet.daemon.parts import Part, PartContext
from pallet.server.routes_lint import make_routes


def install(ctx: PartContext) -> Part:
    return Part("lint", routes=make_routes(ctx.backend))
