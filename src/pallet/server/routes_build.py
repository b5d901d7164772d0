"""``POST /build`` (Docker's classic builder endpoint) and ``POST /build/prune``.

The body is the context tar; the answer streams JSON lines
(``{"stream": "Step 1/3 : FROM busybox\\n"}``, ``{"aux": {"ID": ...}}``, errors as
``{"errorDetail": {"message": ...}, "error": ...}``). ``version=2`` (BuildKit) is
refused: use ``DOCKER_BUILDKIT=0`` with the docker CLI. Secrets for
``RUN --mount=type=secret`` come in the ``X-Pallet-Build-Secrets`` header
(base64 of a JSON map id -> base64 content), a pallet extension.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web

from pallet.api.responses import BuildCachePruned
from pallet.build.executor import BuildOptions
from pallet.errors import InvalidArgument, PalletError, StepFailed, Unsupported
from pallet.oci.reference import build_tag
from pallet.server import streams
from pallet.server.params import encode_json, json_response, qbool, qfilters, qstr

SECRETS_HEADER = "X-Pallet-Build-Secrets"
log = logging.getLogger("pallet.server")


class BuildBackend(Protocol):
    spool_dir: Path

    def build(self, context_tar: Path,
              opts: BuildOptions) -> AsyncIterator[list[dict[str, Any]]]:
        """The build's JSON messages, in batches of those ready together."""
        ...

    async def prune(self, all: bool, filters: dict[str, list[str]]) -> BuildCachePruned: ...


def _json_map(request: web.Request, name: str) -> dict[str, Any]:
    text = request.query.get(name, "").strip()
    if text in ("", "null", "{}"):
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise InvalidArgument(f"invalid JSON in {name}: {text[:80]}") from None
    if not isinstance(value, dict):
        raise InvalidArgument(f"{name} must be a JSON object")
    return value


def _json_list(request: web.Request, name: str) -> list[str] | None:
    """A JSON array of strings (``cachefrom``); None when the query leaves it out."""
    text = request.query.get(name, "").strip()
    if text in ("", "null"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise InvalidArgument(f"invalid JSON in {name}: {text[:80]}") from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidArgument(f"{name} must be a JSON array of strings")
    return value


def _secrets(request: web.Request) -> dict[str, bytes]:
    raw = request.headers.get(SECRETS_HEADER, "")
    if not raw:
        return {}
    try:
        doc = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        return {str(k): base64.b64decode(v) for k, v in dict(doc).items()}
    except (ValueError, TypeError, binascii.Error):
        raise InvalidArgument(f"invalid {SECRETS_HEADER} header") from None


def options(request: web.Request) -> BuildOptions:
    """The query of ``POST /build`` as build options."""
    if qstr(request, "version") == "2":
        raise Unsupported(
            "BuildKit (version=2) is not supported by pallet; use the classic builder"
            " (DOCKER_BUILDKIT=0 docker build ...)"
        )
    if qstr(request, "remote"):
        raise Unsupported("remote build contexts are not supported by pallet")
    args = {str(k): (None if v is None else str(v))
            for k, v in _json_map(request, "buildargs").items()}
    labels = {str(k): str(v) for k, v in _json_map(request, "labels").items()}
    epoch = args.get("SOURCE_DATE_EPOCH") or os.environ.get("SOURCE_DATE_EPOCH") or ""
    network = qstr(request, "networkmode")
    hosts = [h for v in request.query.getall("extrahosts", []) for h in v.split(",") if h]
    cache_from = _json_list(request, "cachefrom")
    return BuildOptions(
        dockerfile=qstr(request, "dockerfile") or "Dockerfile",
        tags=[build_tag(t) for t in request.query.getall("t", []) if t],
        build_args=args,
        labels=labels,
        target=qstr(request, "target"),
        no_cache=qbool(request, "nocache"),
        quiet=qbool(request, "q"),
        network="" if network in ("default", "bridge") else network,
        extra_hosts=hosts,
        cache_from=cache_from,
        secrets=_secrets(request),
        platform=qstr(request, "platform"),
        epoch=int(epoch) if epoch.isdigit() else None,
    )


class _BatchResponse(web.StreamResponse):
    # the status line and headers leave with the first batch (one send, not two)
    _send_headers_immediately = False


async def json_batches(request: web.Request,
                       batches: AsyncIterator[list[dict[str, Any]]]) -> web.StreamResponse:
    """``streams.json_lines`` for batches: each batch goes out in one write, so lines
    reach the client as soon as they are ready but without a syscall each."""
    batches = await streams.primed(batches)
    resp = _BatchResponse()
    resp.content_type = "application/json"
    await resp.prepare(request)

    async def encoded() -> AsyncIterator[bytes]:
        try:
            async for batch in batches:
                yield b"".join(encode_json(m) + b"\r\n" for m in batch)
        except StepFailed as exc:
            yield streams.error_line(exc.message, exc.code)
        except PalletError as exc:
            yield streams.error_line(exc.message)
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception as exc:
            log.exception("build stream failed", exc_info=exc)
            yield streams.error_line(str(exc) or type(exc).__name__)
        finally:
            await streams.aclose(batches)

    await streams.copy_out(request, resp, encoded())
    await streams.finish(resp)
    return resp


def make_routes(be: BuildBackend) -> web.RouteTableDef:
    routes = web.RouteTableDef()

    @routes.post("/build")
    async def build(request: web.Request) -> web.StreamResponse:
        opts = options(request)
        async with streams.spooled(request, be.spool_dir, "context-") as path:
            return await json_batches(request, be.build(path, opts))

    @routes.post("/build/prune")
    async def prune(request: web.Request) -> web.Response:
        return json_response(await be.prune(qbool(request, "all"), qfilters(request)))

    @routes.post("/build/cancel")
    async def cancel(request: web.Request) -> web.Response:
        return web.Response(status=200)

    return routes
