"""Networks, DNS, published ports and volumes against a real palletd (root, netavark)."""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from pallet.network.netavark import dn_chain, masq_chain

pytestmark = [pytest.mark.integration]


def ok(d: Any, *args: str, timeout: float = 60) -> str:
    res = d.pallet(*args, timeout=timeout)
    assert res.returncode == 0, f"pallet {' '.join(args)}: {res.stderr}{res.stdout}"
    return str(res.stdout)


def inspect_net(d: Any, name: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(ok(d, "network", "inspect", name))[0]
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def leftovers(d: Any, nets: list[dict[str, Any]]) -> list[str]:
    """Links, chains, netns files and aardvark entries still there for these networks."""
    problems: list[str] = []
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    for n in nets:
        bridge = f"pl-{n['Id'][:12]}"
        if f" {bridge}:" in links or f"master {bridge} " in links:
            problems.append(f"link {bridge} or its veths")
        nv = "pl" + n["Id"][:12]
        rules = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
        for chain in (dn_chain(nv), masq_chain(nv)):
            if chain in rules:
                problems.append(f"chain {chain}")
    netns = Path(d.run) / "netns"
    # the daemon's own endpoints on its default bridge: "_bridge" (netplug/keeper) and the warm
    # spares nobody took yet, each with its document in networks/spares (netplug/spares); a
    # spare a container took is that container's, and must be gone with it
    spare_docs = (Path(d.run) / "networks" / "spares").glob("*.json")
    untaken = {Path(json.loads(f.read_text())["netns"]).name for f in spare_docs}
    names = sorted(p.name for p in netns.iterdir()) if netns.is_dir() else []
    left = [n for n in names if n != "_bridge" and n not in untaken]
    if left:
        problems.append(f"netns files {left}")
    return problems


@pytest.fixture
def net(palletd: Any, busybox: str) -> Any:
    made: list[str] = []

    def create(name: str, *flags: str) -> dict[str, Any]:
        ok(palletd, "network", "create", *flags, name)
        made.append(name)
        return inspect_net(palletd, name)

    yield create
    palletd.remove_all_containers()
    for name in made:
        palletd.pallet("network", "rm", name)


def test_dns_by_name_alias_and_isolation(palletd: Any, net: Any) -> None:
    app = net("appnet")
    net("othernet")
    ok(palletd, "run", "-d", "--name", "web", "--network", "appnet", "--network-alias", "www",
       "busybox", "httpd", "-f", "-p", "80", "-h", "/")
    web = json.loads(ok(palletd, "inspect", "web"))[0]
    ip = web["NetworkSettings"]["Networks"]["appnet"]["IPAddress"]
    assert ip and web["NetworkSettings"]["Networks"]["appnet"]["NetworkID"] == app["Id"]
    short = web["Id"][:12]
    out = ok(palletd, "run", "--rm", "--network", "appnet", "busybox", "sh", "-c",
             f"nslookup web && nslookup www && nslookup {short} && ping -c1 -W2 web")
    assert out.count(ip) >= 3 and "1 packets received" in out
    # another network cannot reach web, by name or by address
    res = palletd.pallet("run", "--rm", "--network", "othernet", "busybox", "sh", "-c",
                         f"nslookup web; ping -c1 -W1 {ip}")
    assert res.returncode != 0 and "1 packets received" not in res.stdout
    # the default bridge has no name resolution
    res = palletd.pallet("run", "--rm", "busybox", "nslookup", "web")
    assert res.returncode != 0
    ok(palletd, "rm", "-f", "web")
    res = palletd.pallet("run", "--rm", "--network", "appnet", "busybox", "nslookup", "web")
    assert res.returncode != 0, res.stdout


def test_isolation_survives_another_network_emptying(palletd: Any, net: Any) -> None:
    """netavark drops FORWARD's jump to its isolation chain when any isolated network's
    last container leaves; networks that still have containers must stay apart."""
    net("isoa")
    net("isob")
    net("isoc")
    ok(palletd, "run", "-d", "--name", "isoweb", "--network", "isob", "busybox", "sleep",
       "1000")
    ip = json.loads(ok(palletd, "inspect", "isoweb"))[0][
        "NetworkSettings"]["Networks"]["isob"]["IPAddress"]
    ok(palletd, "run", "-d", "--name", "isoclient", "--network", "isoa", "busybox",
       "sleep", "1000")
    ok(palletd, "run", "-d", "--name", "isopeer", "--network", "isoa", "busybox",
       "sleep", "1000")
    peer = json.loads(ok(palletd, "inspect", "isopeer"))[0][
        "NetworkSettings"]["Networks"]["isoa"]["IPAddress"]
    ok(palletd, "run", "--rm", "--network", "isoc", "busybox", "true")  # isoc empties
    ok(palletd, "network", "rm", "isoc")  # waits for its teardown
    # the probe works (same network answers), so a silence across networks means isolation
    res = palletd.pallet("exec", "isoclient", "ping", "-c1", "-W2", peer)
    assert "1 packets received" in res.stdout, res.stdout + res.stderr
    res = palletd.pallet("exec", "isoclient", "ping", "-c1", "-W2", ip)
    assert "1 packets received" not in res.stdout, f"a container on isoa reached {ip} on isob"
    ok(palletd, "rm", "-f", "isoweb", "isoclient", "isopeer")


def test_internal_network_has_no_route_out(palletd: Any, net: Any) -> None:
    net("internalnet", "--internal")
    net("outnet")
    host_ip = "192.0.2.2"  # this machine's own address, outside any container subnet
    res = palletd.pallet("run", "--rm", "--network", "internalnet", "busybox", "ping", "-c1",
                         "-W1", host_ip)
    assert res.returncode != 0
    ok(palletd, "run", "--rm", "--network", "outnet", "busybox", "ping", "-c1", "-W2", host_ip)


def fetch(port: int) -> bytes:
    """The body at http://127.0.0.1:PORT/ once it answers (b"" if it never does)."""
    for _ in range(50):
        try:
            return bytes(urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read())
        except OSError:
            time.sleep(0.05)
    return b""


def test_published_port_and_port_in_use(palletd: Any, busybox: str) -> None:
    port = free_port()
    ok(palletd, "run", "-d", "--name", "my-web", "-p", f"127.0.0.1:{port}:80", "busybox", "sh",
       "-c", "mkdir -p /www && echo hello-pallet > /www/index.html && httpd -f -p 80 -h /www")
    try:
        assert fetch(port) == b"hello-pallet\n"
        assert ok(palletd, "port", "my-web").strip() == f"80/tcp -> 127.0.0.1:{port}"
        res = palletd.pallet("run", "-d", "--name", "clash", "-p", f"127.0.0.1:{port}:80",
                             "busybox", "sleep", "30")
        assert res.returncode != 0 and "port is already allocated" in res.stderr
        clash = json.loads(ok(palletd, "inspect", "clash"))[0]
        assert clash["Id"] not in os.listdir(Path(palletd.run) / "netns")
        assert not clash["State"]["Running"] and clash["NetworkSettings"]["IPAddress"] == ""
    finally:
        palletd.pallet("rm", "-f", "my-web", "clash")


def test_ports_go_to_the_gateway_network_and_follow_it(palletd: Any, net: Any) -> None:
    """Docker publishes a container's ports on its gateway endpoint's network only (the
    first by name of those with a gateway); when that network is disconnected, the ports
    move to the next one."""
    first, second = net("gwa"), net("gwb")
    port = free_port()
    ok(palletd, "create", "--name", "gwweb", "--network", "gwb", "-p", f"127.0.0.1:{port}:80",
       "busybox", "sh", "-c", "echo via-gw > /index.html && exec httpd -f -p 80 -h /")
    ok(palletd, "network", "connect", "gwa", "gwweb")
    ok(palletd, "start", "gwweb")

    def nat() -> str:
        return subprocess.run(["iptables-save", "-t", "nat"], capture_output=True,
                              text=True).stdout

    chain_a, chain_b = (dn_chain("pl" + n["Id"][:12]) for n in (first, second))
    assert chain_a in nat() and chain_b not in nat()
    assert fetch(port) == b"via-gw\n"
    assert ok(palletd, "port", "gwweb").strip() == f"80/tcp -> 127.0.0.1:{port}"
    ok(palletd, "network", "disconnect", "gwa", "gwweb")
    assert chain_a not in nat() and chain_b in nat()
    assert fetch(port) == b"via-gw\n"
    assert ok(palletd, "port", "gwweb").strip() == f"80/tcp -> 127.0.0.1:{port}"
    ok(palletd, "rm", "-f", "gwweb")
    deadline = time.monotonic() + 10
    while (left := leftovers(palletd, [first, second])) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == []


def test_volumes_binds_tmpfs(palletd: Any, busybox: str, tmp_path: Path) -> None:
    ok(palletd, "run", "--name", "w1", "-v", "keep:/data", "busybox", "sh", "-c",
       "echo kept > /data/f")
    res = palletd.pallet("volume", "rm", "keep")
    assert res.returncode != 0 and "volume is in use" in res.stderr
    ok(palletd, "rm", "w1")
    assert ok(palletd, "run", "--rm", "-v", "keep:/data", "busybox", "cat", "/data/f") == "kept\n"
    # first mount of an empty named volume copies the image's content in
    out = ok(palletd, "run", "--rm", "-v", "etcvol:/etc", "busybox", "ls", "/etc")
    assert "passwd" in out
    res = palletd.pallet("run", "--rm", "-v", f"{tmp_path}:/b:ro", "busybox", "touch", "/b/x")
    assert res.returncode != 0 and "Read-only file system" in res.stderr
    res = palletd.pallet("run", "--rm", "--tmpfs", "/t:rw,noexec,nosuid,size=64m", "busybox",
                         "sh", "-c", "cp /bin/busybox /t/bb && /t/bb true")
    assert res.returncode != 0 and "Permission denied" in res.stderr
    # anonymous volumes go with rm -v
    ok(palletd, "run", "--name", "anon", "-v", "/scratch", "busybox", "true")
    name = json.loads(ok(palletd, "inspect", "anon"))[0]["Mounts"][0]["Name"]
    ok(palletd, "rm", "-v", "anon")
    assert name not in ok(palletd, "volume", "ls", "-q")
    ok(palletd, "volume", "rm", "keep", "etcvol")


def test_many_containers_parallel_then_nothing_left(palletd: Any, net: Any) -> None:
    nets = [net(f"lnet{i}") for i in range(5)]
    per_net = int(os.environ.get("PALLET_NET_LEFTOVER_PER_NET", "10"))

    def run(i: int) -> str:
        n = f"lnet{i % 5}"
        return ok(palletd, "run", "-d", "--network", n, "-p", "80", "busybox", "sleep",
                  "60").strip()

    t = time.perf_counter()
    with cf.ThreadPoolExecutor(5) as ex:
        ids = list(ex.map(run, range(5 * per_net)))
    elapsed = time.perf_counter() - t
    ips = []
    for n in nets:
        view = inspect_net(palletd, n["Name"])
        ips += [c["IPv4Address"] for c in view["Containers"].values()]
        assert len(view["Containers"]) == per_net
    assert len(ips) == len(set(ips)) == 5 * per_net, "duplicate IPs"
    for cid in ids:
        ok(palletd, "rm", "-f", cid)
    # endpoints are torn down in the background after an exit: allow it a moment
    deadline = time.monotonic() + 10
    while (left := leftovers(palletd, nets)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == []
    print(f"\n{len(ids)} parallel run -d on 5 networks: {elapsed:.1f}s")


def test_default_bridge_is_kept_up_while_the_daemon_runs(palletd_factory: Any) -> None:
    """The standing endpoint keeps the default bridge up between containers, and a clean
    daemon stop takes it, its namespace and its NAT rules away."""
    from pallet.network.config import net_config

    d = palletd_factory()
    d.start()
    bridge = net_config(Path(d.run)).bridge_name
    keeper = Path(d.run) / "netns" / "_bridge"
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    assert keeper.exists() and f" {bridge}:" in links
    d.bootstrap("busybox")
    res = d.pallet("run", "--rm", "busybox", "true")
    assert res.returncode == 0, res.stderr
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    assert f" {bridge}:" in links  # the lone container's exit did not take the bridge down
    d.stop()
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    assert f" {bridge}:" not in links and not keeper.exists()


def _spares(d: Any) -> list[str]:
    return sorted(p.name for p in (Path(d.run) / "netns").glob("_spare-*"))


def _ready(d: Any, spare: str) -> bool:
    """The pool's note says netavark's setup of ``_spare-<n>`` finished (its namespace is
    pinned before the setup starts, so the file alone is no sign a start can take it)."""
    note = Path(d.run) / "networks" / "spares" / f"pallet-spare-{spare[len('_spare-'):]}.json"
    try:
        return bool(json.loads(note.read_bytes()).get("ready"))
    except (OSError, ValueError):
        return False


def _wait_spare(d: Any, other_than: tuple[str, ...] = ()) -> str:
    deadline = time.monotonic() + 30  # a refill is a netavark setup: slow on a loaded host
    while time.monotonic() < deadline:
        fresh = [n for n in _spares(d) if n not in other_than and _ready(d, n)]
        if fresh:
            return fresh[0]
        time.sleep(0.05)
    raise AssertionError(f"no warm endpoint besides {other_than}: {_spares(d)}")


def test_warm_endpoint_is_taken_once_and_dropped_at_stop(palletd_factory: Any) -> None:
    """A plain container on the default bridge starts on the endpoint made ahead (its
    address works), the pool makes the next one, a container with a published port does
    not take it, and neither a clean stop nor a kill leaves one behind."""
    d = palletd_factory()
    d.start()
    d.bootstrap("busybox")
    first = _wait_spare(d)
    res = d.pallet("run", "-d", "--name", "plain", "busybox", "sleep", "30")
    assert res.returncode == 0, res.stderr
    view = json.loads(d.pallet("inspect", "plain").stdout)[0]
    ip = view["NetworkSettings"]["IPAddress"]
    assert ip and view["NetworkSettings"]["MacAddress"]
    second = _wait_spare(d, (first,))
    assert _spares(d) == sorted([first, second])  # first is plain's own now
    res = d.pallet("run", "--rm", "busybox", "ping", "-c1", "-W2", ip)
    assert res.returncode == 0 and "1 packets received" in res.stdout, res.stdout + res.stderr
    third = _wait_spare(d, (first, second))
    res = d.pallet("run", "--rm", "-p", "127.0.0.1::80", "busybox", "true")
    assert res.returncode == 0, res.stderr
    assert third in _spares(d)  # a published port takes the ordinary path
    assert d.pallet("rm", "-f", "plain").returncode == 0
    deadline = time.monotonic() + 10
    while _spares(d) != [third] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _spares(d) == [third]
    d.kill()  # a killed palletd leaves its spare; the next start drops it and makes another
    d.start()
    fourth = _wait_spare(d, (third,))
    assert _spares(d) == [fourth]
    d.stop()
    assert _spares(d) == []


def test_a_network_joined_while_running_resolves_names(palletd: Any, net: Any) -> None:
    """dockerd's embedded DNS serves a network connected later; pallet points the
    container's resolv.conf at that network's aardvark, and back when it leaves."""
    n = net("latenet")
    gateway = n["IPAM"]["Config"][0]["Gateway"]
    ok(palletd, "run", "-d", "--name", "late-db", "--network", "latenet", "busybox", "sleep",
       "60")
    db_ip = json.loads(ok(palletd, "inspect", "late-db"))[0]["NetworkSettings"]["Networks"][
        "latenet"]["IPAddress"]
    ok(palletd, "run", "-d", "--name", "late-app", "busybox", "sleep", "60")
    assert gateway not in ok(palletd, "exec", "late-app", "cat", "/etc/resolv.conf")
    ok(palletd, "network", "connect", "latenet", "late-app")
    resolv = ok(palletd, "exec", "late-app", "cat", "/etc/resolv.conf")
    assert f"nameserver {gateway}" in resolv and "dns.podman" not in resolv
    out = ok(palletd, "exec", "late-app", "nslookup", "late-db")
    assert db_ip in out and "dns.podman" not in out
    ok(palletd, "network", "disconnect", "latenet", "late-app")
    assert gateway not in ok(palletd, "exec", "late-app", "cat", "/etc/resolv.conf")
    ok(palletd, "rm", "-f", "late-app", "late-db")


def test_host_network_container_has_the_host_name(palletd: Any, busybox: str) -> None:
    out = ok(palletd, "run", "--rm", "--network", "host", "busybox", "hostname")
    assert out.strip() == socket.gethostname()
    out = ok(palletd, "run", "--rm", "--network", "host", "-h", "named", "busybox", "hostname")
    assert out.strip() == "named"
