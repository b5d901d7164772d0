"""Wire compatibility: docker-py 7 and the docker CLI 28 against the real app on a unix
socket, served from a background thread over a FakeBackend."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from typing import Any

import docker
import docker.errors
import pytest

from pallet.api.framing import FrameDecoder
from pallet.testing.app_thread import AppThread as Daemon
from pallet.testing.app_thread import app_thread


@pytest.fixture
def daemon() -> Iterator[Daemon]:
    with app_thread() as d:
        yield d


@pytest.fixture
def client(daemon: Daemon) -> Iterator[Any]:
    c = docker.DockerClient(base_url=f"unix://{daemon.sock}", timeout=10)
    try:
        yield c
    finally:
        c.close()


def test_dockerpy_ping_version_info(client: Any) -> None:
    assert client.ping() is True
    assert client.version()["ApiVersion"] == "1.44"
    assert client.api.api_version == "1.44"
    assert client.info()["OSType"] == "linux"


def test_dockerpy_containers(client: Any, daemon: Daemon) -> None:
    assert client.containers.list() == []
    c = client.containers.create("busybox", ["sleep"], name="web", labels={"a": "b"})
    assert c.name == "web"
    assert [x.id for x in client.containers.list(all=True)] == [c.id]
    assert client.containers.list(filters={"label": "a=b"}, all=True)[0].id == c.id
    c.start()
    assert client.containers.list(filters={"status": "running"})[0].id == c.id
    c.stop()
    c.remove()
    with pytest.raises(docker.errors.NotFound):
        client.containers.get("web")


def test_dockerpy_run_collects_output(client: Any) -> None:
    assert client.containers.run("busybox", ["echo", "hello", "world"]) == b"hello world\n"
    with pytest.raises(docker.errors.ContainerError):
        client.containers.run("busybox", ["false"])
    with pytest.raises(docker.errors.ImageNotFound):
        client.containers.run("nosuch/image", ["true"])


def test_dockerpy_attach_socket_echo(client: Any, daemon: Daemon) -> None:
    c = client.containers.create("busybox", ["cat"], stdin_open=True)
    sock = client.api.attach_socket(c.id, params={"stdin": 1, "stdout": 1, "stream": 1})
    raw: socket.socket = sock._sock
    c.start()
    raw.sendall(b"ping\n")
    dec = FrameDecoder()
    frames: list[tuple[int, bytes]] = []
    raw.settimeout(5)
    while not frames:
        frames += dec.feed(raw.recv(4096))
    assert frames == [(1, b"ping\n")]
    raw.shutdown(socket.SHUT_WR)  # half-close: stdin ends, output still readable
    assert raw.recv(4096) == b""  # the server closed after the output ended
    raw.close()


def test_dockerpy_exec_run(client: Any) -> None:
    c = client.containers.create("busybox", ["sleep"])
    c.start()
    code, out = c.exec_run(["echo", "from", "exec"])
    assert (code, out) == (0, b"from exec\n")
    code, out = c.exec_run(["echo", "x"], demux=True)
    assert out == (b"x\n", None)


def test_dockerpy_images(client: Any, daemon: Daemon) -> None:
    daemon.call(lambda: daemon.fake.add_image("localhost:5000/a/b:tag"))
    img = client.images.get("localhost:5000/a/b:tag")
    assert img.tags == ["localhost:5000/a/b:tag"]
    assert img.tag("reg.io/x/y", "2") is True
    pulled = client.images.pull("busybox", tag="1.36")
    assert "busybox:1.36" in pulled.tags or pulled.id
    with pytest.raises(docker.errors.NotFound):
        client.images.pull("nosuch/thing", tag="1")
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("nosuch:1")


# -- the real docker CLI -----------------------------------------------------------------------
def _docker(daemon: Daemon, *args: str, input: bytes | None = None) -> Any:
    exe = shutil.which("docker")
    if exe is None:
        pytest.fail("the docker CLI is not installed", pytrace=False)
    with tempfile.TemporaryDirectory() as cfg:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        env.update(DOCKER_HOST=f"unix://{daemon.sock}", DOCKER_CONFIG=cfg)
        return subprocess.run([exe, *args], env=env, input=input, capture_output=True,
                              timeout=30)


def test_docker_cli_version_ps_run(daemon: Daemon) -> None:
    r = _docker(daemon, "version", "--format", "{{.Server.APIVersion}}")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == b"1.44"
    r = _docker(daemon, "ps", "-a", "--format", "{{.Names}}")
    assert r.returncode == 0 and r.stdout == b""
    r = _docker(daemon, "run", "--rm", "busybox", "echo", "hi", "there")
    assert (r.returncode, r.stdout, r.stderr) == (0, b"hi there\n", b"")
    r = _docker(daemon, "run", "busybox", "false")
    assert r.returncode == 1


def test_docker_cli_run_interactive_stdin_half_close(daemon: Daemon) -> None:
    """``echo | docker run -i`` : stdin flows in, the CLI half-closes, output comes back."""
    r = _docker(daemon, "run", "-i", "--rm", "busybox", "cat", input=b"line one\nline two\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"line one\nline two\n"


def test_docker_cli_errors(daemon: Daemon) -> None:
    r = _docker(daemon, "inspect", "--type", "container", "nope")
    assert r.returncode == 1
    assert b"No such container: nope" in r.stderr
    r = _docker(daemon, "run", "--rm", "nosuch/img")
    assert r.returncode == 125
    assert b"pull access denied" in r.stderr


def test_docker_cli_exec_logs_images(daemon: Daemon) -> None:
    r = _docker(daemon, "run", "-d", "--name", "svc", "busybox", "sleep")
    assert r.returncode == 0, r.stderr
    cid = r.stdout.strip().decode()
    assert daemon.call(lambda: daemon.fake.get("svc").id) == cid
    r = _docker(daemon, "exec", "svc", "echo", "in", "exec")
    assert (r.returncode, r.stdout) == (0, b"in exec\n"), r.stderr
    r = _docker(daemon, "exec", "-i", "svc", "cat", input=b"piped\n")
    assert (r.returncode, r.stdout) == (0, b"piped\n"), r.stderr

    def emit() -> None:
        c = daemon.fake.get("svc")
        daemon.fake.emit(c, 1, b"to stdout\n")
        daemon.fake.emit(c, 2, b"to stderr\n")

    daemon.call(emit)
    r = _docker(daemon, "logs", "svc")
    assert (r.returncode, r.stdout, r.stderr) == (0, b"to stdout\n", b"to stderr\n")
    r = _docker(daemon, "stop", "svc")
    assert r.returncode == 0, r.stderr
    r = _docker(daemon, "rm", "svc")
    assert r.returncode == 0, r.stderr
    r = _docker(daemon, "pull", "busybox")
    assert r.returncode == 0, r.stderr
    assert b"Downloaded newer image for docker.io/library/busybox:latest" in r.stdout
    r = _docker(daemon, "tag", "busybox", "localhost:5000/a/b:1")
    assert r.returncode == 0, r.stderr
    r = _docker(daemon, "image", "inspect", "--format", "{{.Os}}", "localhost:5000/a/b:1")
    assert (r.returncode, r.stdout) == (0, b"linux\n"), r.stderr
    r = _docker(daemon, "rmi", "localhost:5000/a/b:1")
    assert r.returncode == 0, r.stderr
    assert b"Untagged: localhost:5000/a/b:1" in r.stdout
