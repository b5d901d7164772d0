"""The docker CLI's side of the docker-py fixes: legacy links, aliases and MAC addresses on
networks, detach keys and ``exec -it`` output on a terminal."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import termios
import time
from typing import Any

import pytest

pytestmark = pytest.mark.compat

DOCKER = "/usr/local/bin/docker"


def _read_until(fd: int, pattern: bytes, timeout: float, buf: bytearray) -> bool:
    deadline = time.monotonic() + timeout
    while pattern not in buf and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side of the pty is gone
            break
        if not chunk:
            break
        buf += chunk
    return pattern in buf


class Terminal:
    """The docker CLI running on a pseudo-terminal (as a user types into it)."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execve(DOCKER, [DOCKER, *args], env)
            finally:
                os._exit(126)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.out = bytearray()

    def expect(self, pattern: bytes, timeout: float = 20.0) -> None:
        assert _read_until(self.fd, pattern, timeout, self.out), bytes(self.out)

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def wait(self, timeout: float = 20.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _read_until(self.fd, b"\x00never", 0.2, self.out)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.pid = 0
                return os.waitstatus_to_exitcode(status)
        raise AssertionError(f"the docker CLI did not end: {bytes(self.out)!r}")

    def close(self) -> None:
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def test_run_link_gives_env_and_hosts(docker: Any, cleanup: Any) -> None:
    target = cleanup.container("lk-target")
    docker("run", "-d", "--name", target, "-e", "FOO=bar", "--expose", "6379", "busybox",
           "sleep", "60")
    me = cleanup.container("lk-me")
    out = docker("run", "--name", me, "--link", f"{target}:db", "busybox", "sh", "-c",
                 "env; cat /etc/hosts").stdout
    ip = docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", target).stdout.strip()
    assert f"DB_NAME=/{me}/db" in out
    assert "DB_ENV_FOO=bar" in out
    assert f"DB_PORT_6379_TCP=tcp://{ip}:6379" in out
    assert f"{ip}\tdb" in out
    links = docker("inspect", "-f", "{{json .HostConfig.Links}}", me).stdout
    assert json.loads(links) == [f"/{target}:/{me}/db"]  # dockerd's form
    bad = docker("run", "--rm", "--link", "lk-nonexistent:x", "busybox", "true", check=False)
    assert bad.returncode == 125  # refused at create (no pull attempt, nothing left)
    assert "could not get container for lk-nonexistent" in bad.stderr
    assert "Unable to find image" not in bad.stderr
    docker("rm", "--link", f"{me}/db")  # the link goes, both containers stay
    assert docker("inspect", "-f", "{{json .HostConfig.Links}}", me).stdout.strip() == "null"
    docker("inspect", target)


def test_network_alias_and_mac_address(docker: Any, cleanup: Any) -> None:
    net = "lk-net"
    docker("network", "create", net)
    try:
        srv = cleanup.container("lk-srv")
        docker("run", "-d", "--name", srv, "busybox", "sleep", "60")
        docker("network", "connect", "--alias", "web", net, srv)
        aliases = docker("inspect", "-f", "{{json (index .NetworkSettings.Networks \"lk-net\")"
                         ".Aliases}}", srv).stdout.strip()
        assert aliases == '["web"]'
        mac = "02:42:ac:11:00:0a"
        client = cleanup.container("lk-client")
        out = docker("run", "--name", client, "--network", net, "--mac-address", mac,
                     "busybox", "sh", "-c", "nslookup web >/dev/null && echo found; "
                     "cat /sys/class/net/eth0/address").stdout
        assert out.split() == ["found", mac]
    finally:
        cleanup.run()
        docker("network", "rm", net, check=False)


def test_attach_detach_keys_leave_the_container_running(palletd: Any, docker: Any,
                                                       cleanup: Any) -> None:
    name = cleanup.container("lk-attach")
    docker("run", "-dit", "--name", name, "busybox", "sh")
    term = Terminal(palletd.env, "attach", "--detach-keys", "ctrl-x,x", name)
    try:
        term.send(b"echo at-$((40+2))\r")
        term.expect(b"at-42")
        term.send(b"\x18x")
        term.wait()  # the CLI ends (docker's own exit status for a detach is 1)
        assert b"read escape sequence" in term.out
    finally:
        term.close()
    assert docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip() == "true"


def test_run_it_detach_keys_leave_the_container_running(palletd: Any, docker: Any,
                                                        cleanup: Any) -> None:
    name = cleanup.container("lk-run-it")
    term = Terminal(palletd.env, "run", "-it", "--name", name, "--detach-keys", "ctrl-x,x",
                    "busybox", "sh")
    try:
        term.expect(b"# ")
        term.send(b"\x18x")
        term.wait()
    finally:
        term.close()
    assert docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip() == "true"
    out = docker("exec", name, "echo", "still-here").stdout
    assert out.strip() == "still-here"


def test_exec_it_prints_the_output(palletd: Any, docker: Any, cleanup: Any) -> None:
    name = cleanup.container("lk-exec")
    docker("run", "-d", "--name", name, "busybox", "sleep", "60")
    term = Terminal(palletd.env, "exec", "-it", name, "sh", "-c", "echo out-$((6*7)); exit 3")
    try:
        term.expect(b"out-42")
        assert term.wait() == 3, bytes(term.out)
    finally:
        term.close()


def test_network_create_ipv6_is_dual_stack(docker: Any, cleanup: Any) -> None:
    net = "lk-v6"
    docker("network", "create", "--ipv6", "--subnet", "fd00:db8:1::/64", net)
    try:
        assert docker("network", "inspect", "-f", "{{.EnableIPv6}}", net).stdout.strip() == "true"
        srv = cleanup.container("lk-v6-srv")
        docker("run", "-d", "--name", srv, "--network", net, "busybox", "sleep", "60")
        ip6 = docker("inspect", "-f", "{{(index .NetworkSettings.Networks \"lk-v6\")"
                     ".GlobalIPv6Address}}", srv).stdout.strip()
        assert ip6.startswith("fd00:db8:1::")
        client = cleanup.container("lk-v6-client")
        out = docker("run", "--name", client, "--network", net, "--ip6", "fd00:db8:1::99",
                     "busybox", "sh", "-c", f"ip -6 addr show eth0; ping -6 -c1 -W5 {ip6}")
        assert "fd00:db8:1::99/64" in out.stdout
        assert "1 packets received" in out.stdout
        # the default bridge stays IPv4 only, as in Docker
        assert docker("network", "inspect", "-f", "{{.EnableIPv6}}", "bridge").stdout.strip() \
            == "false"
    finally:
        cleanup.run()
        docker("network", "rm", net, check=False)
