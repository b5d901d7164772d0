"""Container stdio: ``/logs`` (streamed, framed unless TTY) and ``/attach`` (hijack)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from pallet.api.framing import frame, stream_content_type
from pallet.errors import InvalidArgument, Unsupported
from pallet.notation import detachkeys
from pallet.server import hijack, streams
from pallet.server.backend import LogOptions, StreamBackend
from pallet.server.params import qbool, qstr, qtime
from pallet.server.versions import api_version


def _tail(value: str) -> int:
    if value in ("", "all"):
        return -1
    try:
        return max(int(value), 0)
    except ValueError:
        raise InvalidArgument(f"invalid tail value: {value!r}") from None


async def _framed(tty: bool, chunks: AsyncIterator[tuple[int, bytes]]) -> AsyncIterator[bytes]:
    try:
        async for stream, data in chunks:
            if data:
                yield data if tty else frame(stream, data)
    finally:
        await streams.aclose(chunks)


def make_routes(b: StreamBackend) -> web.RouteTableDef:
    """The stream router: logs and attach."""
    routes = web.RouteTableDef()

    @routes.get("/containers/{id}/logs")
    async def logs(request: web.Request) -> web.StreamResponse:
        opts = LogOptions(
            follow=qbool(request, "follow"),
            stdout=qbool(request, "stdout"),
            stderr=qbool(request, "stderr"),
            since=qtime(request, "since") or 0.0,
            until=qtime(request, "until") or 0.0,
            timestamps=qbool(request, "timestamps"),
            tail=_tail(qstr(request, "tail", "all")),
        )
        if not (opts.stdout or opts.stderr):
            raise InvalidArgument("Bad parameters: you must choose at least one stream")
        tty, chunks = await b.logs(request.match_info["id"], opts)
        resp = await streams.start(request, stream_content_type(tty, api_version(request)))
        await streams.copy_out(request, resp, _framed(tty, chunks))
        await streams.finish(resp)
        return resp

    @routes.post("/containers/{id}/attach")
    async def attach(request: web.Request) -> web.StreamResponse:
        stdin = qbool(request, "stdin")
        keys = qstr(request, "detachKeys")
        detachkeys.parse_or_default(keys)  # a bad sequence is a 400 before anything attaches
        session = await b.attach(
            request.match_info["id"],
            stdin=stdin,
            stdout=qbool(request, "stdout"),
            stderr=qbool(request, "stderr"),
            logs=qbool(request, "logs"),
            stream=qbool(request, "stream"),
        )
        if keys:
            session.detach_keys = keys
        content_type = stream_content_type(session.tty, api_version(request))
        return await hijack.serve(request, session, stdin=stdin, content_type=content_type)

    @routes.get("/containers/{id}/attach/ws")
    async def attach_ws(request: web.Request) -> web.Response:
        raise Unsupported("attach over a websocket is not implemented by pallet")

    return routes
