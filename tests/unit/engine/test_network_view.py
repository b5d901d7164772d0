"""A network as ``GET /networks/{id}`` shows it (netplug.views.network_view)."""

from __future__ import annotations

import msgspec

from pallet.api.models import ContainerConfig, HostConfig
from pallet.api.view_networks import Network
from pallet.engine.netplug.views import network_view
from pallet.engine.pluginstate import Endpoint
from pallet.engine.records import Container
from pallet.network.records import NetworkRecord


def _doc(n: NetworkRecord, attached: list[tuple[Container, Endpoint]]) -> dict[str, object]:
    out: dict[str, object] = msgspec.json.decode(msgspec.json.encode(network_view(n, attached)))
    return out


def test_keys_in_dockerd_order_and_pools_omit_what_is_unset() -> None:
    n = NetworkRecord(id="n" * 64, name="front", created="2026-01-01T00:00:00Z",
                      subnet="10.1.0.0/24", gateway="10.1.0.1", labels={"a": "b"},
                      subnet6="fd00::/64", gateway6="fd00::1", ip_range6="fd00::/80",
                      aux_addresses={"h": "10.1.0.5"})
    c = Container(id="c" * 64, name="web", image_id="sha256:" + "b" * 64, created="",
                  host_config=HostConfig(), path="sh", config=ContainerConfig(Image="x"))
    doc = _doc(n, [(c, Endpoint(endpoint="e1", mac="02:00:00:00:00:01", ip="10.1.0.2",
                                prefix=24))])
    assert list(doc) == ["Name", "Id", "Created", "Scope", "Driver", "EnableIPv6", "IPAM",
                         "Internal", "Attachable", "Ingress", "ConfigFrom", "ConfigOnly",
                         "Containers", "Options", "Labels"]
    assert doc["IPAM"] == {"Driver": "default", "Options": None, "Config": [
        {"Subnet": "10.1.0.0/24", "Gateway": "10.1.0.1",
         "AuxiliaryAddresses": {"h": "10.1.0.5"}},
        {"Subnet": "fd00::/64", "IPRange": "fd00::/80", "Gateway": "fd00::1"}]}
    assert doc["EnableIPv6"] is True and doc["ConfigFrom"] == {"Network": ""}
    assert doc["Containers"] == {"c" * 64: {
        "Name": "web", "EndpointID": "e1", "MacAddress": "02:00:00:00:00:01",
        "IPv4Address": "10.1.0.2/24", "IPv6Address": ""}}
    assert doc["Options"] == {} and doc["Labels"] == {"a": "b"}


def test_a_host_network_has_no_pool_and_the_client_decodes_it() -> None:
    n = NetworkRecord(id="h" * 64, name="host", driver="host", ipam_options={})
    raw = msgspec.json.encode(network_view(n))
    doc = msgspec.json.decode(raw)
    assert doc["IPAM"] == {"Driver": "default", "Options": {}, "Config": []}
    assert doc["Containers"] == {} and doc["EnableIPv6"] is False
    back = msgspec.json.decode(raw, type=Network)
    assert back.Driver == "host" and back.IPAM.Config == []
