"""The docker CLI and docker-py on networks, volumes and published ports."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest

pytestmark = [pytest.mark.compat]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int) -> bytes:
    for _ in range(60):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                data = b""
                while chunk := s.recv(4096):
                    data += chunk
                if data:
                    return data
        except OSError:
            pass
        time.sleep(0.05)
    return b""


def test_docker_cli_networks(docker: Any) -> None:
    docker("network", "create", "--subnet", "10.211.7.0/24", "--label", "k=v", "cnet")
    try:
        assert "cnet" in docker("network", "ls", "--format", "{{.Name}}").stdout.split()
        doc = json.loads(docker("network", "inspect", "cnet").stdout)[0]
        assert doc["IPAM"]["Config"][0]["Subnet"] == "10.211.7.0/24"
        assert doc["Labels"] == {"k": "v"}
        res = docker("network", "create", "cnet", check=False)
        assert res.returncode != 0 and "already exists" in res.stderr
        docker("run", "-d", "--name", "cnet-a", "--network", "cnet", "busybox", "sleep", "30")
        ip = docker("inspect", "-f", "{{.NetworkSettings.Networks.cnet.IPAddress}}",
                    "cnet-a").stdout.strip()
        assert ip.startswith("10.211.7.")
        res = docker("network", "rm", "cnet", check=False)
        assert res.returncode != 0 and "active endpoints" in res.stderr
        docker("network", "disconnect", "cnet", "cnet-a")
        docker("network", "connect", "--alias", "al", "cnet", "cnet-a")
        out = docker("run", "--rm", "--network", "cnet", "busybox", "nslookup", "al").stdout
        assert "10.211.7." in out
    finally:
        docker("rm", "-f", "cnet-a", check=False)
        docker("network", "rm", "cnet", check=False)
    assert "cnet" not in docker("network", "ls").stdout


def test_docker_cli_volumes_and_ports(docker: Any) -> None:
    docker("volume", "create", "--label", "a=b", "cvol")
    try:
        assert "cvol" in docker("volume", "ls", "-q").stdout.split()
        doc = json.loads(docker("volume", "inspect", "cvol").stdout)[0]
        assert doc["Labels"] == {"a": "b"} and doc["Driver"] == "local"
        docker("run", "--rm", "-v", "cvol:/d", "busybox", "sh", "-c", "echo hi > /d/x")
        assert docker("run", "--rm", "-v", "cvol:/d", "busybox", "cat", "/d/x").stdout == "hi\n"
        port = _free_port()
        docker("run", "-d", "--name", "cweb", "-p", f"127.0.0.1:{port}:80", "busybox", "sh",
               "-c", "mkdir /w && echo page > /w/index.html && httpd -f -p 80 -h /w")
        assert b"page" in _get(port)
        assert docker("port", "cweb", "80").stdout.strip() == f"127.0.0.1:{port}"
        ps = docker("ps", "--format", "{{.Ports}}", "--filter", "name=cweb").stdout
        assert f"127.0.0.1:{port}->80/tcp" in ps
    finally:
        docker("rm", "-f", "cweb", check=False)
        docker("volume", "rm", "cvol", check=False)


def test_docker_py(dclient: Any) -> None:
    net = dclient.networks.create("pynet", driver="bridge", labels={"x": "y"})
    vol = dclient.volumes.create("pyvol")
    c = None
    try:
        assert dclient.networks.get("pynet").attrs["Labels"] == {"x": "y"}
        assert "pyvol" in [v.name for v in dclient.volumes.list()]
        port = _free_port()
        c = dclient.containers.run(
            "busybox", ["sh", "-c", "echo py > /v/index.html; httpd -f -p 80 -h /v"], detach=True,
            ports={"80/tcp": ("127.0.0.1", port)}, volumes={"pyvol": {"bind": "/v"}},
            network="pynet")
        c.reload()
        assert c.attrs["NetworkSettings"]["Networks"]["pynet"]["IPAddress"]
        assert c.ports["80/tcp"][0]["HostPort"] == str(port)
        mounts = c.attrs["Mounts"]
        assert mounts[0]["Name"] == "pyvol" and mounts[0]["Destination"] == "/v"
        assert b"py" in _get(port)
    finally:
        if c is not None:
            c.remove(force=True)
        net.remove()
        vol.remove()
