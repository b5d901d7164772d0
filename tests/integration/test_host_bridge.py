"""A bridge pallet did not create survives every network and container operation: a network
naming it is refused (400, nothing recorded), and creating, using, connecting, removing and
pruning other networks and containers leaves it up with its address."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.integration

OPT = "com.docker.network.bridge.name"
ADDR = "192.0.2.1/24"  # TEST-NET-1: never routed


def ok(d: Any, *args: str) -> str:
    res = d.pallet(*args, timeout=60)
    assert res.returncode == 0, f"pallet {' '.join(args)}: {res.stderr}{res.stdout}"
    return str(res.stdout)


def _link(name: str) -> dict[str, Any] | None:
    res = subprocess.run(["ip", "-j", "addr", "show", "dev", name],
                         capture_output=True, text=True)
    if res.returncode != 0:
        return None
    found: list[dict[str, Any]] = json.loads(res.stdout)
    return found[0] if found else None


@pytest.fixture
def host_bridge() -> Iterator[str]:
    name = "hbr" + uuid.uuid4().hex[:8]
    subprocess.run(["ip", "link", "add", name, "type", "bridge"], check=True)
    try:
        subprocess.run(["ip", "addr", "add", ADDR, "dev", name], check=True)
        subprocess.run(["ip", "link", "set", name, "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "link", "del", name], capture_output=True)


def _intact(name: str) -> bool:
    link = _link(name)
    return link is not None and any(
        f"{a['local']}/{a['prefixlen']}" == ADDR for a in link.get("addr_info", []))


def test_host_bridge_never_adopted(palletd: Any, busybox: str, host_bridge: str) -> None:
    d = palletd
    status, raw = d.request("POST", "/networks/create",
                            {"Name": "adopt-" + host_bridge, "Options": {OPT: host_bridge}})
    assert status == 400 and b"pallet does not own" in raw
    res = d.pallet("network", "create", "-o", f"{OPT}={host_bridge}", "adopt2")
    assert res.returncode != 0 and "does not own" in res.stderr
    names = ok(d, "network", "ls", "--format", "{{.Name}}").split()
    assert "adopt-" + host_bridge not in names and "adopt2" not in names

    own = "pbr" + uuid.uuid4().hex[:8]
    net = "hb-" + own
    try:
        ok(d, "network", "create", "-o", f"{OPT}={own}", net)
        ok(d, "run", "-d", "--name", net + "-a", "--network", net, busybox, "sleep", "60")
        ok(d, "run", "--rm", "--network", net, busybox, "ping", "-c1", "-W2", net + "-a")
        ok(d, "run", "-d", "--name", net + "-b", busybox, "sleep", "60")
        ok(d, "network", "connect", net, net + "-b")
        ok(d, "network", "disconnect", net, net + "-b")
        assert _intact(host_bridge)
        ok(d, "rm", "-f", net + "-a", net + "-b")
        ok(d, "network", "rm", net)
        ok(d, "network", "create", net)
        ok(d, "network", "prune", "-f")
        ok(d, "run", "--rm", "-p", "18099:80", busybox, "true")  # the default bridge
    finally:
        d.pallet("rm", "-f", net + "-a", net + "-b")
        d.pallet("network", "rm", net)
    assert _intact(host_bridge)


def test_a_daemon_told_to_use_a_host_bridge_refuses_to_start(
        palletd_factory: Any, host_bridge: str) -> None:
    d = palletd_factory()
    d.root.mkdir(parents=True)
    (d.root / "daemon.json").write_text(json.dumps({"bridge": host_bridge}))
    with pytest.raises(RuntimeError, match="pallet does not own"):
        d.start()
    assert _intact(host_bridge)
