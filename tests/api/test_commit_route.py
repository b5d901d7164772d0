"""``POST /commit``, ``GET /containers/{id}/changes`` and ``/export`` routes over a fake
CommitBackend: query and body decoding, statuses, and errors before a stream starts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from pallet.engine.commitconfig import CommitRequest
from pallet.errors import Conflict, InvalidArgument, NotFound
from pallet.server.app import core_routers, make_app
from pallet.server.routes_commit import make_routes
from pallet.testing.fake_backend import FakeBackend

Client = TestClient[Any, Any]


class FakeCommits:
    def __init__(self) -> None:
        self.requests: list[tuple[str, CommitRequest]] = []
        self.tar = [b"a" * 10, b"b" * 5]

    def _check(self, ref: str) -> None:
        if ref == "missing":
            raise NotFound(f"No such container: {ref}")
        if ref == "dead":
            raise Conflict(f"You cannot commit container {ref} which is Dead")

    async def commit(self, ref: str, req: CommitRequest) -> str:
        self._check(ref)
        if "RUN true" in req.changes:
            raise InvalidArgument("run is not a valid change command")
        self.requests.append((ref, req))
        return "sha256:" + "c" * 64

    async def changes(self, ref: str) -> list[dict[str, Any]]:
        self._check(ref)
        return [{"Path": "/etc", "Kind": 0}, {"Path": "/x", "Kind": 1}]

    async def export(self, ref: str) -> AsyncIterator[bytes]:
        self._check(ref)
        for chunk in self.tar:
            yield chunk


def run(tmp_path: Path, fn: Callable[[Client, FakeCommits], Awaitable[None]]) -> None:
    async def main() -> None:
        fake = FakeCommits()
        app = make_app([*core_routers(FakeBackend(spool=tmp_path)), make_routes(fake)])
        async with TestServer(app) as server, TestClient(server) as client:
            await fn(client, fake)

    asyncio.run(main())


def test_commit_query_and_body(tmp_path: Path) -> None:
    async def t(c: Client, fake: FakeCommits) -> None:
        r = await c.post("/v1.44/commit?container=web&repo=snap&tag=v1&author=me&comment=msg"
                         "&changes=ENV%20A%3D1&changes=CMD%20%5B%22sh%22%5D&changes=",
                         json={"Labels": {"l": "v"}, "Env": ["X=1"]})
        assert r.status == 201 and await r.json() == {"Id": "sha256:" + "c" * 64}
        ref, req = fake.requests[-1]
        assert ref == "web" and (req.repo, req.tag, req.author, req.comment) == (
            "snap", "v1", "me", "msg")
        assert req.changes == ("ENV A=1", 'CMD ["sh"]') and req.pause is True
        assert req.config == {"Labels": {"l": "v"}, "Env": ["X=1"]}
        # docker-py sends {}, the docker CLI no body at all, some clients null: no config
        for body in (b"{}", b"", b"null"):
            r = await c.post("/commit?container=web&pause=0", data=body,
                             headers={"Content-Type": "application/json"})
            assert r.status == 201, await r.text()
            assert fake.requests[-1][1].config is None
            assert fake.requests[-1][1].pause is False

    run(tmp_path, t)


def test_commit_errors(tmp_path: Path) -> None:
    async def t(c: Client, fake: FakeCommits) -> None:
        r = await c.post("/commit")
        assert r.status == 404 and "No such container" in (await r.json())["message"]
        assert (await c.post("/commit?container=missing")).status == 404
        assert (await c.post("/commit?container=dead")).status == 409
        r = await c.post("/commit?container=web&changes=RUN%20true")
        assert r.status == 400 and (await r.json())["message"] == (
            "run is not a valid change command")
        r = await c.post("/commit?container=web", data=b'{"Env": "not-a-list"}',
                         headers={"Content-Type": "application/json"})
        assert r.status == 400
        assert fake.requests == []

    run(tmp_path, t)


def test_changes_and_export(tmp_path: Path) -> None:
    async def t(c: Client, fake: FakeCommits) -> None:
        r = await c.get("/v1.44/containers/web/changes")
        assert r.status == 200
        assert await r.json() == [{"Path": "/etc", "Kind": 0}, {"Path": "/x", "Kind": 1}]
        assert (await c.get("/containers/missing/changes")).status == 404
        r = await c.get("/containers/web/export")
        assert r.status == 200 and r.content_type == "application/x-tar"
        assert await r.read() == b"a" * 10 + b"b" * 5
        r = await c.get("/containers/missing/export")  # the error comes before the stream
        assert r.status == 404 and "No such container" in (await r.json())["message"]

    run(tmp_path, t)


def test_no_router_takes_over_another_routers_path(tmp_path: Path) -> None:
    core = core_routers(FakeBackend(spool=tmp_path))
    make_app([*core, make_routes(FakeCommits())])  # commit's paths are its own
    with pytest.raises(ValueError, match="two routers claim GET /containers/json"):
        make_app([*core, core[1]])
