"""NetworkService over a real SQLite file: defaults, create, IPAM, remove rules."""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

import pytest

from pallet.api.netmodels import NetworkCreate, wire_body
from pallet.engine.netplug.service import NetworkService
from pallet.errors import Conflict, Forbidden, InvalidArgument, NotFound
from pallet.network.config import NetConfig
from pallet.network.records import NetworkRecord, NetworkStore
from pallet.system.db import Database


def create(svc: NetworkService, body: dict[str, object]) -> NetworkRecord:
    """What ``POST /networks/create`` does: the body decoded as the route decodes it."""
    return svc.create(wire_body(body, NetworkCreate))


@pytest.fixture
def svc(tmp_path: Path) -> NetworkService:
    cfg = NetConfig("pltest0", "10.97.3.0/24", IPv4Network("10.96.0.0/20"), 24, 0)
    s = NetworkService(NetworkStore(Database(tmp_path / "db")), cfg)
    s.ensure_defaults()
    return s


def test_defaults(svc: NetworkService) -> None:
    names = {n.name: n for n in svc.list({})}
    assert set(names) == {"bridge", "host", "none"}
    assert names["bridge"].subnet == "10.97.3.0/24" and not names["bridge"].dns
    svc.ensure_defaults()
    assert len(svc.list({})) == 3
    with pytest.raises(Forbidden):
        svc.remove("bridge", lambda cid: None)


def test_create_unique_and_filters(svc: NetworkService) -> None:
    n = create(svc, {"Name": "appnet", "Labels": {"tier": "web"}})
    assert n.subnet.startswith("10.96.") and n.gateway.endswith(".1") and n.dns
    with pytest.raises(Conflict):
        create(svc, {"Name": "appnet"})
    with pytest.raises(Forbidden):
        create(svc, {"Name": "other", "IPAM": {"Config": [{"Subnet": n.subnet}]}})
    with pytest.raises(InvalidArgument, match="overlay networks need swarm mode"):
        create(svc, {"Name": "x", "Driver": "overlay"})
    with pytest.raises(InvalidArgument, match='plugin "weave" not found'):
        create(svc, {"Name": "x", "Driver": "weave"})
    assert [x.name for x in svc.list({"label": ["tier=web"]})] == ["appnet"]
    assert {x.name for x in svc.list({"type": ["custom"]})} == {"appnet"}
    assert svc.resolve(n.id[:6]).name == "appnet"


def test_ipam_never_twice_and_release(svc: NetworkService) -> None:
    n = create(svc, {"Name": "ipnet", "IPAM": {"Config": [{"Subnet": "10.55.0.0/24"}]}})
    a = svc.allocate(n, "c1")
    b = svc.allocate(n, "c2")
    assert (a, b) == ("10.55.0.2", "10.55.0.3")
    with pytest.raises(Conflict):
        svc.allocate(n, "c3", requested=a)
    with pytest.raises(Forbidden, match="active endpoints"):
        svc.remove("ipnet", lambda cid: None)
    svc.release(n.id, "c1")
    assert svc.allocate(n, "c4") == "10.55.0.4"  # not the released one at once
    svc.release(n.id, "c2")
    svc.release(n.id, "c4")
    assert svc.prune({}) == ["ipnet"]
    with pytest.raises(NotFound):
        svc.resolve("ipnet")


def test_bridge_name_of_a_host_interface_refused(svc: NetworkService) -> None:
    opt = "com.docker.network.bridge.name"
    with pytest.raises(InvalidArgument, match="existing host interface"):
        create(svc, {"Name": "adopt", "Options": {opt: "lo"}})
    with pytest.raises(InvalidArgument, match="too long"):
        create(svc, {"Name": "long", "Options": {opt: "x" * 16}})
    create(svc, {"Name": "own", "Options": {opt: "plunit-own0"}})
    with pytest.raises(Conflict, match="used by network own"):
        create(svc, {"Name": "again", "Options": {opt: "plunit-own0"}})
    assert {n.name for n in svc.list({})} == {"bridge", "host", "none", "own"}


@pytest.mark.parametrize(("body", "message"), [
    ({"IPAM": {"Config": "x"}}, "$.IPAM.Config"),
    ({"Labels": ["a"]}, "$.Labels"),
    ({"Options": {"mtu": 1400}}, "$.Options[...]"),
    ({"Options": {"com.docker.network.driver.mtu": "abc"}}, "invalid MTU 'abc'"),
    ({"Options": {"mtu": "10"}}, "between 68 and 65535"),
])
def test_create_body_checked_before_anything(svc: NetworkService, body: dict[str, object],
                                             message: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        create(svc, {"Name": "typed", **body})
    assert message in err.value.message
    assert svc.store.by_name("typed") is None


def test_a_configured_default_bridge_naming_a_host_interface_is_refused(
        tmp_path: Path) -> None:
    cfg = NetConfig("lo", "10.97.3.0/24", IPv4Network("10.96.0.0/20"), 24, 0,
                    bridge_chosen=True)
    s = NetworkService(NetworkStore(Database(tmp_path / "db")), cfg)
    with pytest.raises(InvalidArgument, match="existing host interface"):
        s.ensure_defaults()
    # a derived name (pallet0, plb...) may be a bridge an earlier, wiped store left
    derived = NetConfig("lo", "10.97.3.0/24", IPv4Network("10.96.0.0/20"), 24, 0)
    NetworkService(NetworkStore(Database(tmp_path / "db2")), derived).ensure_defaults()


@pytest.mark.parametrize("body", [{"ConfigOnly": True}, {"ConfigFrom": {"Network": "base"}}])
def test_config_only_networks_are_refused_not_dropped(svc: NetworkService,
                                                       body: dict[str, object]) -> None:
    with pytest.raises(InvalidArgument, match="config-only"):
        create(svc, {"Name": "cfg", **body})
    assert svc.store.by_name("cfg") is None
    assert create(svc, {"Name": "cfg", "ConfigOnly": False, "ConfigFrom": None}).name == "cfg"
