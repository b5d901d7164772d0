"""Streamed responses: chunked bodies, JSON lines, and client-disconnect handling.

Errors before the first byte become a proper status (``primed`` pulls the first item
early); errors after it are written into the stream (JSON lines) or end it.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from pallet.errors import PalletError
from pallet.server.params import encode_json

T = TypeVar("T")
log = logging.getLogger("pallet.server")

DISCONNECT_POLL = 0.5


async def resolve_iter(value: AsyncIterator[T] | Awaitable[AsyncIterator[T]]) -> AsyncIterator[T]:
    """Accept both ``async def f() -> AsyncIterator`` and async generator functions."""
    if inspect.isawaitable(value):
        return await value
    return value


async def aclose(it: object) -> None:
    close = getattr(it, "aclose", None)
    if close is not None:
        with contextlib.suppress(Exception):
            await close()


async def _chain(first: T, rest: AsyncIterator[T]) -> AsyncIterator[T]:
    try:
        yield first
        async for item in rest:
            yield item
    finally:
        await aclose(rest)


async def _empty() -> AsyncIterator[Any]:
    return
    yield  # pragma: no cover


async def primed(it: AsyncIterator[T]) -> AsyncIterator[T]:
    """Pull the first item now, so errors surface before the response starts."""
    try:
        first = await anext(it)
    except StopAsyncIteration:
        await aclose(it)
        return _empty()
    except BaseException:
        await aclose(it)
        raise
    return _chain(first, it)


async def until_disconnected(request: web.Request) -> None:
    """Returns once the client's connection is gone (polled; aiohttp has no event)."""
    while True:
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        await asyncio.sleep(DISCONNECT_POLL)


async def race_disconnect(request: web.Request, work: Awaitable[T]) -> T | None:
    """Run ``work`` until done or the client goes away (then cancel it, return None)."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(until_disconnected(request))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    if task.cancelled():
        return None
    return task.result()


async def start(request: web.Request, content_type: str, status: int = 200,
                headers: dict[str, str] | None = None) -> web.StreamResponse:
    """Send the headers of a streamed (chunked) response now."""
    resp = web.StreamResponse(status=status, headers=headers)
    resp.content_type = content_type
    await resp.prepare(request)
    return resp


async def copy_out(request: web.Request, resp: web.StreamResponse,
                   chunks: AsyncIterator[bytes]) -> None:
    """Write every chunk; stops quietly when the client disconnects."""

    async def run() -> None:
        async for chunk in chunks:
            if chunk:
                await resp.write(chunk)

    try:
        await race_disconnect(request, run())
    except ConnectionError:
        pass
    finally:
        await aclose(chunks)


async def finish(resp: web.StreamResponse) -> None:
    with contextlib.suppress(ConnectionError):
        await resp.write_eof()


def error_line(message: str, code: int | None = None) -> bytes:
    detail: dict[str, Any] = {"message": message} if code is None else {
        "code": code, "message": message}
    return encode_json({"errorDetail": detail, "error": message}) + b"\r\n"


async def json_lines(request: web.Request, items: AsyncIterator[Any]) -> web.StreamResponse:
    """Stream JSON messages, one a line (pull, load, import progress).

    The first item is pulled before the 200 is sent; a later failure becomes a
    ``{"errorDetail": ..., "error": ...}`` line, as dockerd writes it.
    """
    items = await primed(items)
    resp = await start(request, "application/json")

    async def encoded() -> AsyncIterator[bytes]:
        try:
            async for item in items:
                yield encode_json(item) + b"\r\n"
        except PalletError as exc:
            yield error_line(exc.message)
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception as exc:
            log.exception("stream failed", exc_info=exc)
            yield error_line(str(exc) or type(exc).__name__)
        finally:
            await aclose(items)

    await copy_out(request, resp, encoded())
    await finish(resp)
    return resp


SPOOL_CHUNK = 256 * 1024


@contextlib.asynccontextmanager
async def spooled(request: web.Request, spool_dir: Path,
                  prefix: str = "upload-") -> AsyncIterator[Path]:
    """The request body in a temporary file under ``spool_dir`` (removed afterwards)."""
    spool_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".tar", dir=spool_dir)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            async for chunk in request.content.iter_chunked(SPOOL_CHUNK):
                f.write(chunk)
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
