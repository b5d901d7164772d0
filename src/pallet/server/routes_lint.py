"""pallet's lint routes, for CI that only has the engine's socket:

``POST /pallet/lint`` lints one Dockerfile (the body is ``pallet.lint.model.LintRequest``:
its text, name, the context's ``.dockerignore``, ids to ignore, the failure threshold) and
answers the report (``?format=sarif``: a SARIF 2.1.0 log). The compose rules need the
compose loader, which is client side: ``pallet lint`` runs them.

``GET /pallet/containers/{id}/check`` grades a container against the Production Readiness
Checklist (``pallet.lint.checklist.CheckReport``); 404 for an unknown container.
"""

from __future__ import annotations

from typing import Protocol

import msgspec
from aiohttp import web

from pallet.api.view_containers import ContainerInspect
from pallet.errors import InvalidArgument
from pallet.lint.model import LintRequest
from pallet.server.params import body_as, json_response, qstr


class LintBackend(Protocol):
    async def inspect(self, ref: str, size: bool = False) -> ContainerInspect:
        """The container's inspect document (NotFound for an unknown one)."""


def make_routes(be: LintBackend) -> list[web.AbstractRouteDef]:
    routes = web.RouteTableDef()

    @routes.post("/pallet/lint")
    async def lint(request: web.Request) -> web.Response:
        from pallet.lint.output import sarif
        from pallet.lint.request import lint_request

        fmt = qstr(request, "format", "json")
        if fmt not in ("json", "sarif"):
            raise InvalidArgument(f"format must be json or sarif, not {fmt!r}")
        report = lint_request(await body_as(request, LintRequest))
        return json_response(sarif(report) if fmt == "sarif" else report)

    @routes.get("/pallet/containers/{id}/check")
    async def check(request: web.Request) -> web.Response:
        from pallet.lint.checklist import check_container

        doc = msgspec.to_builtins(await be.inspect(request.match_info["id"]))
        return json_response(check_container(doc))

    return list(routes)
