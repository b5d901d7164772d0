"""``POST /build`` over a fake build backend: batches on the wire, errors before and after
the stream starts, the spooled context handed over, BuildKit refused."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from pallet.build.executor import BuildOptions
from pallet.errors import InvalidArgument
from pallet.server.app import core_routers, make_app
from pallet.server.routes_build import make_routes
from pallet.testing.fake_backend import FakeBackend


class FakeBuild:
    def __init__(self, spool: Path, batches: list[list[dict[str, Any]]],
                 fail: Exception | None = None) -> None:
        self.spool_dir = spool
        self.batches = batches
        self.fail = fail
        self.seen: list[tuple[bytes, BuildOptions]] = []

    async def build(self, context_tar: Path,
                    opts: BuildOptions) -> AsyncIterator[list[dict[str, Any]]]:
        self.seen.append((context_tar.read_bytes(), opts))
        for b in self.batches:
            yield b
            await asyncio.sleep(0)
        if self.fail is not None:
            raise self.fail

    async def prune(self, all: bool, filters: dict[str, list[str]]) -> dict[str, Any]:
        return {"CachesDeleted": None, "SpaceReclaimed": 0}


def _post(tmp_path: Path, be: FakeBuild, query: str,
          body: bytes = b"tar") -> tuple[int, list[bytes]]:
    async def main() -> tuple[int, list[bytes]]:
        app = make_app([*core_routers(FakeBackend(spool=tmp_path / "spool")), make_routes(be)])
        async with TestServer(app) as server, TestClient(server) as client:
            resp = await client.post(f"/v1.44/build?{query}", data=body)
            chunks = []
            async for data, _ in resp.content.iter_chunks():
                chunks.append(data)
            return resp.status, chunks

    return asyncio.run(main())


def test_batches_stream_as_json_lines(tmp_path: Path) -> None:
    be = FakeBuild(tmp_path / "spool", [
        [{"stream": "Step 1/2 : FROM x\n"}, {"stream": " ---> abc\n"}],
        [{"aux": {"ID": "sha256:" + "a" * 64}}, {"stream": "Successfully built aaaaaaaaaaaa\n"}],
    ])
    status, chunks = _post(tmp_path, be, "t=x:1&q=1&dockerfile=df", b"context-bytes")
    assert status == 200
    lines = b"".join(chunks).split(b"\r\n")
    assert [json.loads(x) for x in lines if x] == [m for b in be.batches for m in b]
    body, opts = be.seen[0]
    assert body == b"context-bytes" and opts.tags == ["x:1"] and opts.quiet
    assert opts.dockerfile == "df"
    assert list((tmp_path / "spool").iterdir()) == []  # the spooled body is gone


def test_error_before_the_stream_is_a_status(tmp_path: Path) -> None:
    be = FakeBuild(tmp_path / "spool", [], fail=InvalidArgument("Cannot locate specified"
                                                                 " Dockerfile: Dockerfile"))
    status, chunks = _post(tmp_path, be, "")
    assert status == 400
    assert json.loads(b"".join(chunks))["message"].startswith("Cannot locate")


def test_error_after_output_is_an_error_line(tmp_path: Path) -> None:
    be = FakeBuild(tmp_path / "spool", [[{"stream": "Step 1/1 : RUN false\n"}]],
                   fail=InvalidArgument("The command '/bin/sh -c false' returned a non-zero"
                                        " code: 1"))
    status, chunks = _post(tmp_path, be, "")
    assert status == 200
    docs = [json.loads(x) for x in b"".join(chunks).split(b"\r\n") if x]
    assert docs[0] == {"stream": "Step 1/1 : RUN false\n"}
    assert docs[-1]["errorDetail"]["message"].endswith("non-zero code: 1")


def test_buildkit_is_refused(tmp_path: Path) -> None:
    be = FakeBuild(tmp_path / "spool", [])
    status, chunks = _post(tmp_path, be, "version=2")
    assert status == 501 and b"DOCKER_BUILDKIT=0" in b"".join(chunks)
    assert be.seen == []


def test_invalid_tag_fails_before_building(tmp_path: Path) -> None:
    for tag, message in (("Bad:tag", "must be lowercase"),
                         ("a@sha256:" + "0" * 64, "build tag cannot contain a digest"),
                         ("x:" + "t" * 200, "invalid reference format")):
        be = FakeBuild(tmp_path, [[{"stream": "never\n"}]])
        status, chunks = _post(tmp_path, be, f"t=ok&t={tag}")
        assert status == 400 and message in json.loads(b"".join(chunks))["message"]
        assert be.seen == []  # nothing built
