"""IPAM choices, port expansion and the netavark document (pure)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import msgspec
import pytest

from pallet.errors import Conflict, InvalidArgument
from pallet.network import ipam, portmap
from pallet.network.netavark import (
    Attachment,
    dn_chain,
    gateway,
    network_info,
    removed_bridges,
    restrict,
    setup_document,
    setup_documents,
)
from pallet.network.netdoc import PortMapping
from pallet.network.records import NetworkRecord


def test_next_address_round_robin_skips_gateway_and_used() -> None:
    net = IPv4Network("10.5.0.0/29")
    gw = IPv4Address("10.5.0.1")
    assert ipam.next_address(net, gw, []) == IPv4Address("10.5.0.2")
    assert ipam.next_address(net, gw, ["10.5.0.2"], last="10.5.0.2") == IPv4Address("10.5.0.3")
    # released .3 is not handed out again right away
    assert ipam.next_address(net, gw, [], last="10.5.0.3") == IPv4Address("10.5.0.4")
    # wraps around
    assert ipam.next_address(net, gw, [], last="10.5.0.6") == IPv4Address("10.5.0.2")
    with pytest.raises(Conflict):
        ipam.next_address(net, gw, [f"10.5.0.{i}" for i in range(2, 7)])


def test_ip_range_and_static() -> None:
    net = IPv4Network("10.6.0.0/24")
    gw = IPv4Address("10.6.0.1")
    rng = IPv4Network("10.6.0.128/25")
    assert ipam.next_address(net, gw, [], ip_range=rng) == IPv4Address("10.6.0.129")
    assert ipam.check_static(net, gw, "10.6.0.9", []) == "10.6.0.9"
    with pytest.raises(Conflict):
        ipam.check_static(net, gw, "10.6.0.9", ["10.6.0.9"])
    with pytest.raises(InvalidArgument):
        ipam.check_static(net, gw, "10.7.0.9", [])


def test_pick_subnet_avoids_overlaps() -> None:
    pool = IPv4Network("10.100.0.0/22")
    taken = [IPv4Network("10.100.0.0/24"), IPv4Network("10.100.1.0/25")]
    assert ipam.pick_subnet(pool, 24, taken) == IPv4Network("10.100.2.0/24")
    assert ipam.pick_subnet(pool, 24, [], start=3) == IPv4Network("10.100.3.0/24")
    with pytest.raises(Conflict):
        ipam.pick_subnet(pool, 24, [pool])
    with pytest.raises(InvalidArgument):
        ipam.parse_subnet("10.0.0.1/24")


def test_expand_ports() -> None:
    got = portmap.expand({"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}],
                          "53/udp": [{"HostPort": "5353"}]}, [], False)
    assert got == [PortMapping("127.0.0.1", 8080, 80, "tcp"), PortMapping("", 5353, 53, "udp")]
    auto = portmap.expand(None, ["443/tcp", "22"], True)
    assert {(p.container_port, p.protocol) for p in auto} == {(443, "tcp"), (22, "tcp")}
    assert all(p.host_port > 0 for p in auto)
    with pytest.raises(InvalidArgument):
        portmap.split_port("80/xyz")


def test_ports_views() -> None:
    wire = [PortMapping("", 8080, 80)]
    assert msgspec.to_builtins(portmap.ports_view(wire, ["80/tcp", "443/tcp"])) == {
        "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "443/tcp": None}
    assert msgspec.to_builtins(portmap.ports_summary(wire, ["443/tcp"])) == [
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"PrivatePort": 443, "Type": "tcp"}]


def test_check_free_refuses_held_port() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(Conflict, match="port is already allocated"):
            portmap.check_free([PortMapping("127.0.0.1", port, 80)])
    with pytest.raises(Conflict, match=r"on endpoint web: Bind for 0\.0\.0\.0:1234 failed"):
        portmap.check_free([PortMapping("", 1234, 80)], taken={("tcp", 1234)}, endpoint="web")


def test_setup_document_isolates_and_keeps_aliases() -> None:
    n = NetworkRecord(id="a" * 64, name="appnet", subnet="10.9.0.0/24", gateway="10.9.0.1",
                      interface="pl-aaaa", nv_name="plaaaa")
    doc = setup_document("c" * 64, "web", [Attachment(n, "10.9.0.2", "eth0", ["w", "cccc"])],
                         [PortMapping("127.0.0.1", 8080, 80)])
    wire = msgspec.to_builtins(doc)  # what netavark reads: no static_mac when none is asked
    assert wire["networks"]["plaaaa"] == {"static_ips": ["10.9.0.2"], "aliases": ["w", "cccc"],
                                          "interface_name": "eth0"}
    info = wire["network_info"]["plaaaa"]
    assert info["options"]["isolate"] == "true" and info["dns_enabled"] is True
    assert info["ipam_options"] == {"driver": "host-local"}
    assert info["internal"] is False and info["ipv6_enabled"] is False
    assert wire["port_mappings"] == [{"host_ip": "127.0.0.1", "host_port": 8080,
                                      "container_port": 80, "protocol": "tcp", "range": 1}]
    assert restrict(doc, [], ports=False).port_mappings is None
    builtin = NetworkRecord(id="b" * 64, name="bridge", dns=False, subnet="10.1.0.0/16",
                            gateway="10.1.0.1", nv_name="plbbb", interface="pallet0")
    assert network_info(builtin).dns_enabled is False
    assert dn_chain("pspike0").startswith("NETAVARK-DN-") and len(dn_chain("x")) == 25


def test_net_config_differs_per_run_dir(tmp_path: object) -> None:
    from pallet.network.config import net_config

    a = net_config(Path("/tmp/run-a"))
    b = net_config(Path("/tmp/run-b"))
    assert a.bridge_name != b.bridge_name and len(a.bridge_name) <= 15
    d = net_config(Path("/run/pallet"))
    assert (d.bridge_name, d.bridge_subnet) == ("pallet0", "10.99.0.0/16")
    e = net_config(Path("/tmp/x"), "plt9", "10.77.0.0/24")
    assert (e.bridge_name, e.bridge_subnet) == ("plt9", "10.77.0.0/24")


def test_only_a_teardown_that_removed_a_bridge_asks_for_the_isolation_jump(
        tmp_path: Path) -> None:
    nets = [NetworkRecord(id=c * 64, name=f"n{c}", subnet=f"10.{i}.0.0/24",
                          gateway=f"10.{i}.0.1", interface=f"pl-{c}", nv_name=f"pl{c}")
            for i, c in enumerate("ab", start=20)]
    doc = setup_document("c" * 64, "web", [Attachment(n, n.gateway[:-1] + "2", f"eth{i}")
                                           for i, n in enumerate(nets)])
    (tmp_path / "pl-a").mkdir()
    (tmp_path / "pl-b").mkdir()
    assert removed_bridges(doc, tmp_path) == set()  # others still use both networks
    (tmp_path / "pl-b").rmdir()
    assert removed_bridges(doc, tmp_path) == {"plb"}  # the last container left network b
    assert removed_bridges(setup_document("c" * 64, "none", []), tmp_path) == set()


def test_ports_are_published_on_the_gateway_network_only() -> None:
    """Docker's gateway endpoint: the first network by name that is not internal; the
    ports go with its document only."""
    nets = [NetworkRecord(id=c * 64, name=name, subnet=f"10.{i}.0.0/24", gateway=f"10.{i}.0.1",
                          interface=f"pl-{c}", nv_name=f"pl{c}", internal=name == "a_internal")
            for i, (c, name) in enumerate([("a", "p_front"), ("b", "p_back"),
                                           ("c", "a_internal")], start=30)]
    atts = [Attachment(n, n.gateway[:-1] + "2", f"eth{i}") for i, n in enumerate(nets)]
    gw = gateway(atts)
    assert gw is not None and gw.network.name == "p_back"
    assert gateway(atts[2:]) is None  # internal only: no way out
    ports = [PortMapping("", 8080, 80)]
    first, rest = setup_documents("c" * 64, "web", atts, ports)
    assert list(first.networks) == ["plb"] and first.port_mappings == ports
    assert list(rest.networks) == ["pla", "plc"] and rest.port_mappings is None
    assert list(rest.network_info) == ["pla", "plc"]
    assert len(setup_documents("c" * 64, "web", atts)) == 1  # nothing published: one call
    assert len(setup_documents("c" * 64, "web", atts[:1], ports)) == 1
