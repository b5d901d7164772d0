"""Container routes against the FakeBackend: shapes, statuses, streams."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import tarfile
from typing import Any

from aiohttp.test_utils import TestClient

from pallet.api.framing import frame
from pallet.testing.fake_backend import FakeBackend

Client = TestClient[Any, Any]


async def _create(c: Client, body: dict[str, Any], name: str = "") -> str:
    q = f"?name={name}" if name else ""
    r = await c.post(f"/v1.44/containers/create{q}", json=body)
    assert r.status == 201, await r.text()
    doc = await r.json()
    assert doc["Warnings"] == []
    return str(doc["Id"])


def test_create_inspect_list_and_filters(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        cid = await _create(c, {"Image": "busybox", "Cmd": ["sleep"], "Labels": {"a": "b"},
                                "HostConfig": {"Memory": 1024, "Unknown": 1}}, "web")
        host = fake.containers[cid].config.HostConfig
        assert host is not None and host.Memory == 1024
        r = await c.get("/containers/web/json")
        assert (await r.json())["Name"] == "/web"
        assert await (await c.get("/containers/json")).json() == []
        assert len(await (await c.get("/containers/json?all=1")).json()) == 1
        await c.post("/containers/web/start")
        new = json.dumps({"status": ["running"]})
        old = json.dumps({"status": {"running": True}})
        for f in (new, old):
            r = await c.get("/containers/json", params={"filters": f})
            assert [x["Id"] for x in await r.json()] == [cid]
        lab = json.dumps({"label": {"a=b": True}})
        assert len(await (await c.get("/containers/json", params={"filters": lab})).json()) == 1
        r = await c.get("/containers/json", params={"filters": "{bad"})
        assert r.status == 400

    api(t)


def test_create_errors(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        r = await c.post("/containers/create", json={"Image": "nosuch"})
        assert r.status == 404
        assert await r.json() == {"message": "No such image: nosuch"}
        r = await c.post("/containers/create", data=b"{not json",
                         headers={"Content-Type": "application/json"})
        assert r.status == 400
        r = await c.post("/containers/create", json={"Image": "busybox", "Cmd": "notalist"})
        assert r.status == 400
        r = await c.post("/containers/create", json={"Image": "busybox", "HostConfig": {
            "Mounts": [{"Target": "/t", "Type": "tmpfs", "TmpfsOptions": {"SizeBytes": "1m"}}]}})
        assert r.status == 400
        assert "$.HostConfig.Mounts[0].TmpfsOptions.SizeBytes" in (await r.json())["message"]
        r = await c.post("/containers/create", json={"Image": "busybox",
                                                     "ExposedPorts": {"80/tcp": "yes"}})
        assert r.status == 400
        assert "$.ExposedPorts[...]" in (await r.json())["message"]
        await _create(c, {"Image": "busybox"}, "dup")
        r = await c.post("/containers/create?name=dup", json={"Image": "busybox"})
        assert r.status == 409
        assert "already in use" in (await r.json())["message"]

    api(t)


def test_lifecycle_statuses(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        cid = await _create(c, {"Image": "busybox", "Cmd": ["sleep"]}, "x")
        assert (await c.post("/containers/x/start")).status == 204
        r = await c.post("/containers/x/start")
        assert r.status == 304
        assert await r.read() == b""
        assert (await c.post("/containers/x/pause")).status == 204
        assert (await c.post("/containers/x/unpause")).status == 204
        assert (await c.post("/containers/x/rename?name=y")).status == 204
        assert (await c.post("/containers/y/rename")).status == 400
        assert (await c.post("/containers/y/restart?t=1")).status == 204
        assert (await c.post("/containers/y/kill?signal=HUP")).status == 204
        assert (await c.post("/containers/y/stop")).status == 304
        assert (await c.post("/containers/y/resize?h=10&w=20")).status == 200
        r = await c.delete("/containers/nope")
        assert r.status == 404 and await r.json() == {"message": "No such container: nope"}
        await c.post("/containers/y/start")
        assert (await c.delete("/containers/y")).status == 409
        assert (await c.delete("/containers/y?force=1&v=1")).status == 204
        assert cid not in fake.containers

    api(t)


def test_wait_sends_headers_early_and_body_on_exit(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        cid = await _create(c, {"Image": "busybox", "Cmd": ["sleep"]})
        r = await c.post(f"/containers/{cid}/wait?condition=next-exit")
        # headers arrived while the container has not even started
        assert r.status == 200
        assert r.headers["Content-Type"] == "application/json"
        await c.post(f"/containers/{cid}/start")
        fake.exit(fake.get(cid), 7)
        assert await asyncio.wait_for(r.json(), 5) == {"StatusCode": 7, "Error": None}
        r = await c.post("/containers/nope/wait")
        assert r.status == 404
        r = await c.post(f"/containers/{cid}/wait?condition=bogus")
        assert r.status == 400
        # an exited container answers at once
        r = await c.post(f"/containers/{cid}/wait")
        assert await r.json() == {"StatusCode": 7, "Error": None}

    api(t)


def test_wait_is_cancelled_when_the_client_goes_away(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        cid = await _create(c, {"Image": "busybox", "Cmd": ["sleep"]})
        waits: list[asyncio.Task[Any]] = []
        orig = fake.wait

        async def tracking_wait(ref: str, cond: str) -> Any:
            waits.append(asyncio.current_task())  # type: ignore[arg-type]
            return await orig(ref, cond)

        fake.wait = tracking_wait  # type: ignore[method-assign,assignment]
        r = await c.post(f"/containers/{cid}/wait")
        assert r.status == 200
        r.close()  # drop the connection
        for _ in range(60):
            if waits and waits[0].done():
                break
            await asyncio.sleep(0.05)
        assert waits[0].cancelled()

    api(t)


def test_logs_framing_byte_exact(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        cid = await _create(c, {"Image": "busybox", "Cmd": ["sleep"]})
        await c.post(f"/containers/{cid}/start")
        cont = fake.get(cid)
        fake.emit(cont, 1, b"out1\n")
        fake.emit(cont, 2, b"err" * 100)
        fake.emit(cont, 1, b"\x00\xff")
        r = await c.get(f"/containers/{cid}/logs?stdout=1&stderr=1")
        assert r.headers["Content-Type"] == "application/vnd.docker.multiplexed-stream"
        body = await r.read()
        assert body == (b"\x01\x00\x00\x00\x00\x00\x00\x05out1\n"
                        + b"\x02\x00\x00\x00\x00\x00\x01\x2c" + b"err" * 100
                        + b"\x01\x00\x00\x00\x00\x00\x00\x02\x00\xff")
        r = await c.get(f"/containers/{cid}/logs?stderr=1")
        assert await r.read() == frame(2, b"err" * 100)
        r = await c.get(f"/containers/{cid}/logs?stdout=1&tail=1")
        assert await r.read() == frame(1, b"\x00\xff")
        r = await c.get(f"/containers/{cid}/logs")
        assert r.status == 400

    api(t)


def test_logs_tty_raw_and_follow(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        cid = await _create(c, {"Image": "busybox", "Cmd": ["sleep"], "Tty": True})
        await c.post(f"/containers/{cid}/start")
        cont = fake.get(cid)
        fake.emit(cont, 1, b"a")
        r = await c.get(f"/containers/{cid}/logs?stdout=1&follow=1")
        assert r.headers["Content-Type"] == "application/vnd.docker.raw-stream"
        assert await asyncio.wait_for(r.content.readexactly(1), 5) == b"a"
        fake.emit(cont, 1, b"bc")
        assert await asyncio.wait_for(r.content.readexactly(2), 5) == b"bc"
        fake.exit(cont, 0)
        assert await asyncio.wait_for(r.content.read(), 5) == b""

    api(t)


def test_attach_without_upgrade_streams_a_200(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        cid = await _create(c, {"Image": "busybox", "Cmd": ["echo", "hi"]})
        await c.post(f"/containers/{cid}/start")
        r = await c.post(f"/containers/{cid}/attach?logs=1&stdout=1&stderr=1")
        assert r.status == 200
        assert r.headers["Content-Type"] == "application/vnd.docker.raw-stream"
        assert await r.read() == frame(1, b"hi\n")

    api(t)


def test_top_and_prune(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        cid = await _create(c, {"Image": "busybox", "Cmd": ["sleep", "9"]})
        assert (await c.get(f"/containers/{cid}/top")).status == 409
        await c.post(f"/containers/{cid}/start")
        doc = await (await c.get(f"/containers/{cid}/top?ps_args=aux")).json()
        assert doc["Processes"] == [["1", "sleep 9"]]
        await c.post(f"/containers/{cid}/stop")
        r = await c.post("/containers/prune", params={"filters": '{"until":["1h"]}'})
        assert await r.json() == {"ContainersDeleted": [cid], "SpaceReclaimed": 0}

    api(t)


def test_archive_head_get_put(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        cid = await _create(c, {"Image": "busybox"})
        fake.get(cid).files["/etc/hosts"] = b"127.0.0.1 localhost\n"
        r = await c.head(f"/containers/{cid}/archive?path=/etc/hosts")
        assert r.status == 200
        stat = json.loads(base64.b64decode(r.headers["X-Docker-Container-Path-Stat"]))
        assert stat == {"name": "hosts", "size": 20, "mode": 0o644,
                        "mtime": "2024-01-01T00:00:00Z", "linkTarget": ""}
        r = await c.get(f"/containers/{cid}/archive?path=/etc/hosts")
        assert r.headers["Content-Type"] == "application/x-tar"
        assert "X-Docker-Container-Path-Stat" in r.headers
        with tarfile.open(fileobj=io.BytesIO(await r.read())) as tar:
            member = tar.extractfile("hosts")
            assert member is not None and member.read() == b"127.0.0.1 localhost\n"
        assert (await c.get(f"/containers/{cid}/archive?path=/nope")).status == 404
        assert (await c.get(f"/containers/{cid}/archive")).status == 400
        payload = b"x" * 300_000

        async def body() -> Any:
            for i in range(0, len(payload), 50_000):
                yield payload[i:i + 50_000]

        r = await c.put(f"/containers/{cid}/archive?path=/tmp&noOverwriteDirNonDir=true",
                        data=body(), headers={"Content-Type": "application/x-tar"})
        assert r.status == 200
        assert fake.get(cid).files["/tmp/.uploaded.tar"] == payload

    api(t)


def test_exec_routes(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        cid = await _create(c, {"Image": "busybox", "Cmd": ["sleep"]})
        r = await c.post(f"/containers/{cid}/exec", json={"Cmd": ["echo", "x"]})
        assert r.status == 409  # not running
        await c.post(f"/containers/{cid}/start")
        r = await c.post(f"/containers/{cid}/exec",
                         json={"Cmd": ["echo", "hi"], "AttachStdout": True})
        assert r.status == 201
        exec_id = (await r.json())["Id"]
        r = await c.post(f"/exec/{exec_id}/start", json={"Detach": False, "Tty": False})
        assert r.status == 200 and await r.read() == frame(1, b"hi\n")
        assert (await c.post(f"/exec/{exec_id}/resize?h=1&w=2")).status == 200
        doc = await (await c.get(f"/exec/{exec_id}/json")).json()
        assert doc["ExitCode"] == 0 and doc["ContainerID"] == cid
        r = await c.post(f"/containers/{cid}/exec", json={"Cmd": ["true"]})
        detached = (await r.json())["Id"]
        r = await c.post(f"/exec/{detached}/start", json={"Detach": True})
        assert r.status == 200 and await r.read() == b""
        assert (await c.get("/exec/nope/json")).status == 404

    api(t)


def test_attach_over_a_websocket_is_501(api: Any) -> None:
    async def t(c: Client, fake: FakeBackend) -> None:
        r = await c.request("GET", "/v1.44/containers/x/attach/ws")
        assert r.status == 501
        assert "not implemented" in (await r.json())["message"]

    api(t)
