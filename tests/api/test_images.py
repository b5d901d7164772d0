"""Image routes: names with slashes and colons, streams, load/import spooling."""

from __future__ import annotations

import io
import json
import tarfile
from typing import Any

from aiohttp.test_utils import TestClient

from pallet.errors import DataCorruption
from pallet.testing.fake_backend import FakeBackend

Client = TestClient[Any, Any]
NAME = "localhost:5000/a/b:tag"


def test_names_with_slashes_and_colons_route(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        fake.add_image(NAME)
        for prefix in ("", "/v1.44"):
            r = await c.get(f"{prefix}/images/{NAME}/json")
            assert r.status == 200, prefix
            assert (await r.json())["RepoTags"] == [NAME]
            r = await c.get(f"{prefix}/images/{NAME}/history")
            assert (await r.json())[0]["Tags"] == [NAME]
        r = await c.post(f"/images/{NAME}/tag?repo=reg.io/x/y&tag=2")
        assert r.status == 201 and await r.read() == b""
        assert "reg.io/x/y:2" in fake.images
        r = await c.get(f"/images/{NAME}/get")
        assert r.status == 200 and r.headers["Content-Type"] == "application/x-tar"
        r = await c.delete(f"/v1.44/images/{NAME}?force=1")
        assert r.status == 200
        doc = await r.json()
        assert {"Untagged": NAME} in doc and "Deleted" in doc[-1]
        r = await c.get(f"/images/{NAME}/json")
        assert r.status == 404
        assert await r.json() == {"message": f"No such image: {NAME}"}
        r = await c.get("/images/sha256:abc/json")
        assert r.status == 404

    api(t)


def test_list_prune_and_get_many(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        fake.add_image("alpine:3")
        r = await c.get("/images/json?all=1&digests=1",
                        params={"filters": '{"dangling":{"false":true}}'})
        assert {t for i in await r.json() for t in i["RepoTags"]} == {"busybox:latest",
                                                                      "alpine:3"}
        r = await c.post("/images/prune", params={"filters": '{"dangling":{"true":true}}'})
        assert await r.json() == {"ImagesDeleted": [], "SpaceReclaimed": 0}
        r = await c.get("/images/get?names=busybox&names=alpine:3")
        assert r.status == 200
        with tarfile.open(fileobj=io.BytesIO(await r.read())) as tar:
            assert tar.getnames() == ["manifest.json"]
        r = await c.get("/images/get?names=busybox&names=nosuch")
        assert r.status == 404  # the error came before the first byte
        assert (await c.get("/images/get")).status == 400

    api(t)


def test_pull_streams_progress_or_404(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        r = await c.post("/images/create?fromImage=busybox&tag=1.36",
                         headers={"X-Registry-Auth": "e30="})
        assert r.status == 200
        assert r.headers["Content-Type"] == "application/json"
        lines = [json.loads(x) for x in (await r.read()).splitlines()]
        assert lines[-1] == {"status": "Status: Downloaded newer image for busybox:1.36"}
        assert "busybox:1.36" in fake.images
        r = await c.post("/images/create?fromImage=docker.io/library/nginx&tag=1.25")
        assert r.status == 404
        assert "pull access denied" in (await r.json())["message"]
        assert (await c.post("/images/create")).status == 400

    api(t)


def test_pull_error_after_streaming_started_is_an_error_line(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        async def failing(image: str, tag: str, auth: str, *rest: Any) -> Any:
            async def gen() -> Any:
                yield {"status": "Pulling fs layer", "id": "abc"}
                raise DataCorruption("digest mismatch")

            return gen()

        fake.image_pull = failing  # type: ignore[method-assign]
        r = await c.post("/images/create?fromImage=busybox")
        assert r.status == 200
        lines = (await r.read()).split(b"\r\n")
        assert json.loads(lines[0]) == {"status": "Pulling fs layer", "id": "abc"}
        assert json.loads(lines[1]) == {"errorDetail": {"message": "digest mismatch"},
                                        "error": "digest mismatch"}

    api(t)


def test_load_spools_body_and_answers_json_lines(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        data = b"\0" * 4096
        r = await c.post("/images/load?quiet=1", data=data,
                         headers={"Content-Type": "application/x-tar"})
        assert r.status == 200
        assert r.headers["Content-Type"] == "application/json"
        assert json.loads(await r.read()) == {"stream": "Loaded image: loaded:latest\n"}
        spooled = fake.loaded[0]
        assert spooled.parent == fake.spool_dir()
        assert not spooled.exists()  # removed after loading
        r = await c.post("/images/load", data=b"short")  # a bad archive: an error in the stream
        assert r.status == 200 and json.loads(await r.read()) == {
            "errorDetail": {"message": "unexpected EOF"}, "error": "unexpected EOF"}
        assert list(fake.spool_dir().iterdir()) == []

    api(t)


def test_import_from_body(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        r = await c.post("/images/create?fromSrc=-&repo=imp/x&tag=1&changes=CMD%20sh",
                         data=b"tar")
        assert r.status == 200
        status = json.loads(await r.read())["status"]
        assert status.startswith("sha256:") and fake.images["imp/x:1"]["Id"] == status
        r = await c.post("/images/create?fromSrc=http://x/y.tar")
        assert r.status == 501

    api(t)
