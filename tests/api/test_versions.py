"""Version prefix negotiation, common headers, ping, unknown routes."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from pallet.testing.fake_backend import FakeBackend

Client = TestClient[Any, Any]


def test_unversioned_and_versioned_paths_are_served(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        for path in ("/version", "/v1.44/version", "/v1.24/version", "/v1.41/version"):
            r = await c.get(path)
            assert r.status == 200, path
            assert (await r.json())["ApiVersion"] == "1.44"

    api(t)


def test_too_old_version_is_refused_with_dockerds_message(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        r = await c.get("/v1.23/containers/json")
        assert r.status == 400
        assert r.headers["Content-Type"].startswith("application/json")
        assert await r.json() == {
            "message": "client version 1.23 is too old. Minimum supported API version is "
                       "1.24, please upgrade your client to a newer version"
        }
        assert r.headers["Api-Version"] == "1.44"

    api(t)


def test_newer_version_is_refused_as_dockerd_does(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        for path in ("/v9.99/containers/json?all=1", "/v1.45/version"):
            r = await c.get(path)
            assert r.status == 400
            assert await r.json() == {"message": f"client version {path[2:6]} is too new. "
                                                 "Maximum supported API version is 1.44"}
            assert r.headers["Api-Version"] == "1.44"
        assert (await c.get("/v1.99/_ping")).status == 200  # negotiation stays possible

    api(t)


def test_effective_version_reaches_handlers(api: Any) -> None:
    """Logs Content-Type is multiplexed only from 1.42: proves the version is per request."""

    async def t(c: Client, fake: FakeBackend) -> None:
        r = await c.post("/containers/create", json={"Image": "busybox", "Cmd": ["echo", "x"]})
        cid = (await r.json())["Id"]
        assert (await c.post(f"/containers/{cid}/start")).status == 204
        q = "stdout=1&stderr=1"
        r41 = await c.get(f"/v1.41/containers/{cid}/logs?{q}")
        r42 = await c.get(f"/v1.42/containers/{cid}/logs?{q}")
        r44 = await c.get(f"/v1.44/containers/{cid}/logs?{q}")
        assert r41.headers["Content-Type"] == "application/vnd.docker.raw-stream"
        assert r42.headers["Content-Type"] == "application/vnd.docker.multiplexed-stream"
        assert r44.headers["Content-Type"] == "application/vnd.docker.multiplexed-stream"

    api(t)


def test_common_headers_on_every_response(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        for method, path in (("GET", "/info"), ("GET", "/nope"), ("GET", "/v1.2/info"),
                             ("HEAD", "/_ping"), ("GET", "/containers/zzz/json")):
            r = await c.request(method, path)
            assert r.headers["Api-Version"] == "1.44", path
            assert r.headers["Ostype"] == "linux"
            assert r.headers["Server"] == "pallet/0.1.0 (linux)"
            assert r.headers["Docker-Experimental"] == "false"

    api(t)


def test_ping_get_and_head(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        r = await c.get("/_ping")
        assert r.status == 200 and await r.text() == "OK"
        assert r.headers["Builder-Version"] == "1"
        assert r.headers["Swarm"] == "inactive"
        assert r.headers["Cache-Control"] == "no-cache, no-store, must-revalidate"
        assert r.headers["Pragma"] == "no-cache"
        h = await c.head("/_ping")
        assert h.status == 200
        assert h.headers["Content-Length"] == "0"
        assert h.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert h.headers["Api-Version"] == "1.44"
        # docker-py pings with its version prefix; even a too-old one gets an answer
        assert (await c.get("/v1.44/_ping")).status == 200
        assert (await c.get("/v1.12/_ping")).status == 200

    api(t)


def test_unknown_routes_and_methods_are_page_not_found(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        for method, path in (("GET", "/nope"), ("GET", "/v1.44/nope"),
                             ("PUT", "/containers/json"), ("GET", "/vx.y/info")):
            r = await c.request(method, path)
            assert r.status == 404, (method, path)
            assert await r.json() == {"message": "page not found"}

    api(t)


def test_swarm_families_answer_503(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        for method, path in (("GET", "/swarm"), ("GET", "/v1.44/services"),
                             ("POST", "/secrets/create"), ("GET", "/nodes/abc"),
                             ("GET", "/plugins"), ("GET", "/configs"), ("GET", "/tasks")):
            r = await c.request(method, path)
            assert r.status == 503, path
            assert (await r.json())["message"].startswith("This node is not a swarm manager.")

    api(t)
