"""System routes, error mapping and JSON-lines events."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from pallet import errors
from pallet.notation.filters import filters_from_json
from pallet.server.errors import status_of, to_response
from pallet.testing.fake_backend import FakeBackend

Client = TestClient[Any, Any]


@pytest.mark.parametrize(("exc", "status"), [
    (errors.InvalidArgument("m"), 400), (errors.Unauthorized("m"), 401),
    (errors.Forbidden("m"), 403), (errors.NotFound("m"), 404), (errors.Conflict("m"), 409),
    (errors.NotModified("m"), 304), (errors.Unsupported("m"), 501),
    (errors.Unavailable("m"), 503), (errors.DataCorruption("m"), 500),
    (errors.CommandFailed(["crun", "start"], 1, "boom\n"), 500), (errors.PalletError("m"), 500),
])
def test_error_table(exc: errors.PalletError, status: int) -> None:
    assert status_of(exc) == status
    resp = to_response(exc)
    assert resp.status == status
    if status == 304:
        assert resp.body is None
    else:
        assert resp.content_type == "application/json"
        assert json.loads(resp.body) == {"message": exc.message}  # type: ignore[arg-type]


def test_unknown_exception_is_500_with_message(api: Any, caplog: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        async def broken() -> Any:
            raise RuntimeError("kaput")

        fake.info = broken  # type: ignore[method-assign]
        r = await c.get("/info")
        assert r.status == 500
        assert await r.json() == {"message": "kaput"}

    api(t)
    assert "kaput" in caplog.text


def test_http_exception_mapping() -> None:
    assert to_response(web.HTTPMethodNotAllowed("GET", ["POST"])).status == 404


def test_filters_both_forms() -> None:
    """The server reads filters with pallet.notation.filters (one implementation)."""
    want = {"status": ["running", "paused"]}
    assert filters_from_json('{"status":["running","paused"]}') == want
    old_form = '{"status":{"running":true,"exited":false}}'
    assert filters_from_json(old_form) == {"status": ["running"]}
    with pytest.raises(errors.InvalidArgument):
        filters_from_json("[1]")


def test_null_filters_are_empty(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        r = await c.get("/containers/json?all=1&filters=null")
        assert r.status == 200 and await r.json() == []

    api(t)


def test_version_info(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        assert (await (await c.get("/v1.44/version")).json())["MinAPIVersion"] == "1.24"
        assert (await (await c.get("/info")).json())["OSType"] == "linux"

    api(t)


def test_events_stream_json_lines_with_filters_and_until(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        await c.post("/containers/create?name=ev", json={"Image": "busybox"})
        r = await c.get("/events", params={"since": "0",
                                           "filters": '{"type":{"container":true}}'})
        assert r.status == 200 and r.headers["Content-Type"] == "application/json"
        first = json.loads(await asyncio.wait_for(r.content.readline(), 5))
        assert first["Action"] == "create" and first["Actor"]["Attributes"]["name"] == "ev"
        await c.post("/containers/ev/start")  # live event
        live = json.loads(await asyncio.wait_for(r.content.readline(), 5))
        assert live["Action"] == "start"
        r.close()
        until = f"{time.time() + 0.3:.9f}"
        r = await c.get("/events", params={"since": "0", "until": until})
        lines = (await asyncio.wait_for(r.read(), 5)).splitlines()
        assert [json.loads(x)["Action"] for x in lines] == ["create", "start"]

    api(t)
