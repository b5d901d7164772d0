"""``POST /networks/{id}/connect|disconnect`` over a recording network backend: the bodies
are read with Go's rules (keys in any case) and an empty container is a 400."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from pallet.api.models import EndpointSettings
from pallet.server.app import core_routers, make_app
from pallet.server.routes_networks import make_routes
from pallet.testing.fake_backend import FakeBackend


class Recorder:
    """The two calls under test, recorded; the rest of the protocol is not reached."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def connect(self, ref: str, container: str,
                      endpoint: EndpointSettings | None) -> None:
        self.calls.append(("connect", ref, container, endpoint))

    async def disconnect(self, ref: str, container: str, force: bool) -> None:
        self.calls.append(("disconnect", ref, container, force))


def run(tmp_path: Path, fn: Any) -> list[tuple[Any, ...]]:
    rec = Recorder()

    async def main() -> None:
        fake = FakeBackend(spool=tmp_path / "spool")
        server = TestServer(make_app([*core_routers(fake), make_routes(rec)]))  # type: ignore[arg-type]
        async with server, TestClient(server) as client:
            await fn(client)

    asyncio.run(main())
    return rec.calls


def test_connect_and_disconnect_read_the_body_with_gos_rules(tmp_path: Path) -> None:
    async def fn(c: TestClient[Any, Any]) -> None:
        r = await c.post("/networks/back/connect",
                         json={"container": "web", "endpointConfig": {"Aliases": ["db"]}})
        assert r.status == 200
        r = await c.post("/networks/back/connect", json={"Container": "api"})
        assert r.status == 200
        r = await c.post("/networks/back/disconnect", json={"container": "web", "force": True})
        assert r.status == 200
        r = await c.post("/networks/back/disconnect", json={"Container": "api"})
        assert r.status == 200

    assert run(tmp_path, fn) == [
        ("connect", "back", "web", EndpointSettings(Aliases=["db"])),
        ("connect", "back", "api", None),
        ("disconnect", "back", "web", True),
        ("disconnect", "back", "api", False),
    ]


def test_an_empty_or_bad_container_is_400_and_nothing_is_called(tmp_path: Path) -> None:
    async def fn(c: TestClient[Any, Any]) -> None:
        for op in ("connect", "disconnect"):
            for body in ({}, {"Container": ""}, {"Container": 7}):
                r = await c.post(f"/networks/back/{op}", json=body)
                assert r.status == 400, (op, body)
                assert (await r.json())["message"]
            r = await c.post(f"/networks/back/{op}", json={})
            assert (await r.json())["message"] == "container name or ID cannot be empty"

    assert run(tmp_path, fn) == []
