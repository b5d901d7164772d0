"""Transport: error mapping, version fallback, auto-start hook, hijack."""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from collections.abc import Iterator

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))

from fake_engine import Engine, Server, serve, serve_tcp

from pallet.client import Client
from pallet.client.hijack import pump
from pallet.client.http import ConnectionFailed, Transport, encode_query, resolve_host
from pallet.errors import Conflict, NotFound


@pytest.fixture
def sock_dir() -> Iterator[str]:
    tmp = tempfile.mkdtemp(prefix="pallet-client-")
    yield tmp
    for name in os.listdir(tmp):
        os.unlink(os.path.join(tmp, name))
    os.rmdir(tmp)


def _stop(server: Server) -> None:
    server.shutdown()
    server.server_close()


def test_errors_map_to_kinds(sock_dir: str) -> None:
    path = os.path.join(sock_dir, "s.sock")
    engine, server = serve(path)
    try:
        api = Client(Transport("unix://" + path)).containers
        with pytest.raises(NotFound) as info:
            api.inspect("ghost")
        assert info.value.message == "No such container: ghost"
        assert getattr(info.value, "from_daemon", False)
        engine.add_image("busybox:latest")
        ident = api.create({"Image": "busybox", "Cmd": ["sleep", "1"]}, "web").Id
        api.start(ident)
        with pytest.raises(Conflict):
            api.remove("web")
        api.start(ident)  # 304 is not an error
    finally:
        _stop(server)


def test_version_falls_back_once_when_daemon_is_older(sock_dir: str) -> None:
    path = os.path.join(sock_dir, "s.sock")
    engine, server = serve(path)
    engine.api_version = "1.41"
    try:
        t = Transport("unix://" + path)
        assert Client(t).containers.list() == []
        assert t.version == "1.41"
        assert [m for m, _, _, _ in engine.requests] == ["GET"]  # only the retried request
    finally:
        _stop(server)


def test_a_body_sent_once_waits_for_the_version_the_daemon_speaks(sock_dir: str) -> None:
    """An older daemon refuses a too-new version only once the body started, so a
    streamed body is not sent before ``/_ping`` said which version to use."""
    path = os.path.join(sock_dir, "s.sock")
    engine, server = serve(path)
    engine.api_version = "1.41"
    try:
        t = Transport("unix://" + path)
        t.request("POST", "/images/load", body=iter([b"not a tar"])).read()
        assert t.version == "1.41"
        assert [(m, p) for m, p, _, _ in engine.requests] == [("GET", "/_ping"),
                                                              ("POST", "/images/load")]
    finally:
        _stop(server)


def test_concurrent_requests_to_an_older_daemon_all_fall_back(sock_dir: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    path = os.path.join(sock_dir, "s.sock")
    engine, server = serve(path)
    engine.api_version = "1.41"
    try:
        containers = Client(Transport("unix://" + path)).containers
        with ThreadPoolExecutor(max_workers=8) as pool:
            assert list(pool.map(lambda _: containers.list(), range(16))) == [[]] * 16
    finally:
        _stop(server)


def test_on_unavailable_hook_runs_once_then_retries(sock_dir: str) -> None:
    path = os.path.join(sock_dir, "s.sock")
    started: list[Server] = []

    def autostart() -> None:
        _, server = serve(path)
        started.append(server)

    t = Transport("unix://" + path, on_unavailable=autostart)
    try:
        assert Client(t).containers.list(all=True) == []
        assert len(started) == 1
    finally:
        for s in started:
            _stop(s)
    t2 = Transport("unix://" + os.path.join(sock_dir, "absent.sock"))
    with pytest.raises(ConnectionFailed) as info:
        Client(t2).containers.list()
    assert info.value.missing and "Is the pallet daemon running?" in info.value.message


def test_hijack_error_before_upgrade(sock_dir: str) -> None:
    path = os.path.join(sock_dir, "s.sock")
    _, server = serve(path)
    try:
        with pytest.raises(NotFound) as info:
            Client(Transport("unix://" + path)).containers.attach("ghost", False, True, True)
        assert info.value.message == "No such container: ghost"
        assert getattr(info.value, "from_daemon", False)
    finally:
        _stop(server)


def test_tcp_host_runs_an_exec_with_input() -> None:
    """A ``tcp://`` host: plain requests and a hijacked exec with stdin, both ways."""
    engine, server, host = serve_tcp()
    try:
        client = Client(Transport(host))
        engine.add_image("busybox:latest")
        ident = client.containers.create({"Image": "busybox", "Cmd": ["sleep", "9"]}, "c").Id
        client.containers.start(ident)
        exec_id = client.exec.create(ident, {"Cmd": ["cat"], "AttachStdin": True})
        conn = client.exec.start(exec_id, tty=False)
        conn.sock.sendall(b"over tcp")
        conn.sock.shutdown(socket.SHUT_WR)
        out: list[bytes] = []
        pump(conn, None, out.append, out.append, tty=False)
        conn.close()
        assert b"".join(out) == b"over tcp"
        assert client.exec.inspect(exec_id).ExitCode == 0
    finally:
        _stop(server)


def test_host_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PALLET_HOST", raising=False)
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("PALLET_RUN", raising=False)
    assert resolve_host(None) == ("unix:///run/pallet/pallet.sock", True)
    monkeypatch.setenv("DOCKER_HOST", "unix:///d.sock")
    assert resolve_host(None) == ("unix:///d.sock", False)
    monkeypatch.setenv("PALLET_HOST", "/p.sock")
    assert resolve_host(None) == ("unix:///p.sock", False)
    assert resolve_host("tcp://127.0.0.1:2375") == ("tcp://127.0.0.1:2375", False)
    monkeypatch.delenv("PALLET_HOST")
    monkeypatch.delenv("DOCKER_HOST")
    monkeypatch.setenv("PALLET_RUN", "/tmp/r")
    assert resolve_host(None) == ("unix:///tmp/r/pallet.sock", True)


def test_encode_query() -> None:
    assert encode_query({"a": True, "b": None, "c": ["x", "y"], "d": 0}) == "?a=1&c=x&c=y&d=0"
    assert encode_query({}) == ""


_ = Engine  # re-exported for type checkers
