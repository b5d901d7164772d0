"""Port rules and conntrack entries never outlive the container they were made for: a UDP
client that kept sending to a host port before it was published, or while it pointed at a
removed container, reaches the container now publishing it (conntrack would otherwise keep
the old translation for as long as the client sends). After removal no rule names the port.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.integration

# a UDP echo of the container's name, run by the host's python through a read-only view of
# the host's root (busybox has no UDP server)
SERVER = ("import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
          "s.bind(('0.0.0.0',5353))\nwhile True:\n d,a=s.recvfrom(100)\n"
          " s.sendto(sys.argv[1].encode(),a)\n")


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def client() -> Iterator[socket.socket]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))  # one source port for the whole test: one conntrack flow
    s.settimeout(0.2)
    yield s
    s.close()


def _ask(s: socket.socket, port: int) -> str | None:
    s.sendto(b"?", ("127.0.0.1", port))
    try:
        return s.recvfrom(100)[0].decode()
    except OSError:
        return None


def _answered_by(s: socket.socket, port: int, name: str, within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if _ask(s, port) == name:
            return True
        time.sleep(0.1)
    return False


def _serve(d: Any, name: str, port: int) -> None:
    res = d.pallet("run", "-d", "--name", name, "-p", f"{port}:5353/udp", "-v", "/:/host:ro",
                   "busybox", "chroot", "/host", sys.executable, "-c", SERVER, name)
    assert res.returncode == 0, res.stderr


def test_udp_flows_follow_the_container_publishing_the_port(
        palletd: Any, busybox: str, client: socket.socket) -> None:
    port = _free_udp_port()
    names = ["udp-flow-1", "udp-flow-2"]
    try:
        for _ in range(5):  # nobody publishes the port yet: the kernel notes a flow anyway
            _ask(client, port)
        _serve(palletd, names[0], port)
        assert _answered_by(client, port, names[0])
        assert palletd.pallet("rm", "-f", names[0]).returncode == 0
        _serve(palletd, names[1], port)
        assert _answered_by(client, port, names[1])
    finally:
        for n in names:
            palletd.pallet("rm", "-f", n)
    assert _rules_gone(port)


def _rules_gone(port: int, within: float = 15.0) -> bool:
    """No iptables rule names the port once the (asynchronous) teardown is done."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        rules = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
        if f"--dport {port} " not in rules:
            return True
        time.sleep(0.2)
    return False
