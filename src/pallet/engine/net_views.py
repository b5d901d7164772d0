"""Networks as the Engine API shows them (``GET /networks`` and ``/networks/{id}``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pallet.engine.records import Container
from pallet.network.records import NetworkRecord


def network_view(n: NetworkRecord,
                 attached: Sequence[tuple[Container, dict[str, Any]]] = ()) -> dict[str, Any]:
    config: list[dict[str, str]] = []
    if n.subnet:
        item = {"Subnet": n.subnet, "Gateway": n.gateway}
        if n.ip_range:
            item["IPRange"] = n.ip_range
        config.append(item)
    containers: dict[str, Any] = {}
    for c, ep in attached:
        containers[c.id] = {
            "Name": c.name, "EndpointID": ep.get("endpoint", ""),
            "MacAddress": ep.get("mac", ""),
            "IPv4Address": f"{ep['ip']}/{ep['prefix']}" if ep.get("ip") else "",
            "IPv6Address": "",
        }
    driver = n.driver
    return {
        "Name": n.name, "Id": n.id, "Created": n.created, "Scope": "local", "Driver": driver,
        "EnableIPv6": False,
        "IPAM": {"Driver": "default", "Options": None if n.builtin else {}, "Config": config},
        "Internal": n.internal, "Attachable": n.attachable, "Ingress": False,
        "ConfigFrom": {"Network": ""}, "ConfigOnly": False, "Containers": containers,
        "Options": dict(n.options), "Labels": dict(n.labels),
    }
