"""pallet.client against the real routes (the app over a FakeBackend on a unix socket):
what each resource sends is what the routes read, and their answers decode."""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Iterator

import pytest

from pallet.api.models import CreateRequest, ExecConfig
from pallet.client import Client
from pallet.client.hijack import Hijacked
from pallet.client.streams import demux, json_lines
from pallet.errors import Conflict, NotFound
from pallet.testing.app_thread import AppThread, app_thread


@pytest.fixture
def daemon() -> Iterator[AppThread]:
    with app_thread() as d:
        yield d


@pytest.fixture
def client(daemon: AppThread) -> Client:
    return Client.from_host(f"unix://{daemon.sock}")


def _read_all(conn: Hijacked) -> bytes:
    out = conn.leftover
    conn.sock.settimeout(5)
    while data := conn.sock.recv(65536):
        out += data
    conn.close()
    return out


def test_system(client: Client) -> None:
    assert client.system.ping()["Api-Version"] == "1.44"
    assert client.system.version()["ApiVersion"] == "1.44"
    assert client.system.info()["OSType"] == "linux"


def test_container_lifecycle(client: Client, daemon: AppThread) -> None:
    created = client.containers.create(
        CreateRequest(Image="busybox", Cmd=["sleep", "9"], Labels={"tier": "web"}), name="web")
    assert created.Id and created.Warnings == []
    with pytest.raises(Conflict):
        client.containers.create({"Image": "busybox"}, name="web")
    assert client.containers.inspect("web")["Id"] == created.Id
    assert [c["Id"] for c in client.containers.list(all=True, filters={"label": ["tier=web"]})] \
        == [created.Id]
    assert client.containers.list(all=True, filters={"label": ["tier=db"]}) == []
    exited = client.containers.wait("web", "next-exit")
    client.containers.start("web")
    assert client.containers.list()[0]["Id"] == created.Id
    top = client.containers.top("web")
    assert top.Titles == ["PID", "CMD"] and top.Processes == [["1", "sleep 9"]]
    client.containers.rename("web", "front")

    def finish() -> None:
        c = daemon.fake.get("front")
        daemon.fake.emit(c, 1, b"out\n")
        daemon.fake.emit(c, 2, b"err\n")
        daemon.fake.exit(c, 3)

    daemon.call(finish)
    status = exited.result()
    assert (status.StatusCode, status.Error) == (3, "")
    frames = list(demux(client.containers.logs("front", tail="all").chunks()))
    assert frames == [(1, b"out\n"), (2, b"err\n")]
    assert client.containers.prune().ContainersDeleted == [created.Id]
    with pytest.raises(NotFound):
        client.containers.inspect("front")


def test_exec_round_trip(client: Client) -> None:
    ident = client.containers.create({"Image": "busybox", "Cmd": ["sleep"]}).Id
    client.containers.start(ident)
    exec_id = client.exec.create(ident, ExecConfig(Cmd=["echo", "hi"], AttachStdout=True))
    assert client.exec.inspect(exec_id).ExitCode is None
    out = _read_all(client.exec.start(exec_id, tty=False))
    assert list(demux([out])) == [(1, b"hi\n")]
    state = client.exec.inspect(exec_id)
    assert (state.ExitCode, state.ContainerID) == (0, ident)
    assert client.exec.inspect_raw(exec_id)["ID"] == exec_id


def test_archive_put_stat_get(client: Client, daemon: AppThread) -> None:
    ident = client.containers.create({"Image": "busybox"}).Id
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mtime = 2, int(time.time())
        tar.addfile(info, io.BytesIO(b"hi"))
    client.archive.put(ident, "/tmp", buf.getvalue())
    uploaded = daemon.call(lambda: daemon.fake.get(ident).files["/tmp/.uploaded.tar"])
    assert uploaded == buf.getvalue()
    assert client.archive.stat(ident, "/tmp/.uploaded.tar")["name"] == ".uploaded.tar"
    with tarfile.open(fileobj=io.BytesIO(client.archive.get(ident, "/tmp/.uploaded.tar").read())
                      ) as tar:
        assert tar.getnames() == [".uploaded.tar"]
    with pytest.raises(NotFound):
        client.archive.stat(ident, "/nowhere")


def test_images(client: Client, daemon: AppThread) -> None:
    daemon.call(lambda: daemon.fake.add_image("localhost:5000/a/b:1"))
    assert client.images.inspect("localhost:5000/a/b:1")["RepoTags"] == ["localhost:5000/a/b:1"]
    client.images.tag("localhost:5000/a/b:1", "reg.io:5000/x/y", "2")
    assert "reg.io:5000/x/y:2" in client.images.inspect("reg.io:5000/x/y:2")["RepoTags"]
    assert "localhost:5000/a/b:1" in {t for i in client.images.list()
                                      for t in i.get("RepoTags") or []}
    removed = client.images.remove("reg.io:5000/x/y:2")
    assert "reg.io:5000/x/y:2" in [r.Untagged for r in removed]
    progress = list(json_lines(client.registry.pull("busybox", "1.36").chunks()))
    assert progress and not any("error" in p for p in progress)
    with pytest.raises(NotFound):
        client.images.inspect("nosuch:1")
    aux = [p["aux"] for p in json_lines(client.pallet.bootstrap("busybox").chunks())
           if "aux" in p]
    assert aux == [{"ID": client.images.inspect("busybox:latest")["Id"]}]


def test_event_stream(client: Client) -> None:
    ident = client.containers.create({"Image": "busybox", "Cmd": ["sleep"]}, name="ev").Id
    client.containers.start(ident)
    until = str(int(time.time()) + 1)
    events = list(client.system.event_stream(since="0", until=until,
                                             filters={"type": ["container"]}))
    assert [(e.Action, e.Actor.ID) for e in events] == [("create", ident), ("start", ident)]
    assert events[0].Actor.Attributes is not None and events[0].Actor.Attributes["name"] == "ev"
