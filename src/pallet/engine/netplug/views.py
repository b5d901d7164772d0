"""Networks as the Engine API shows them (``GET /networks`` and ``/networks/{id}``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pallet.api.netmodels import IPAMConfig
from pallet.api.view_networks import Network, NetworkContainer, NetworkIPAM
from pallet.engine.lifecycle import State
from pallet.engine.records import Container
from pallet.network import portmap
from pallet.network.records import NetworkRecord


def network_view(n: NetworkRecord,
                 attached: Sequence[tuple[Container, dict[str, Any]]] = ()) -> Network:
    config: list[IPAMConfig] = []
    if n.subnet:
        config.append(IPAMConfig(Subnet=n.subnet, IPRange=n.ip_range, Gateway=n.gateway,
                                 AuxiliaryAddresses=dict(n.aux_addresses) or None))
    if n.subnet6:
        config.append(IPAMConfig(Subnet=n.subnet6, IPRange=n.ip_range6, Gateway=n.gateway6))
    containers: dict[str, NetworkContainer] = {}
    for c, ep in attached:
        containers[c.id] = NetworkContainer(
            Name=c.name, EndpointID=ep.get("endpoint", ""), MacAddress=ep.get("mac", ""),
            IPv4Address=f"{ep['ip']}/{ep['prefix']}" if ep.get("ip") else "",
            IPv6Address=f"{ep['ip6']}/{ep['prefix6']}" if ep.get("ip6") else "")
    return Network(
        Name=n.name, Id=n.id, Created=n.created, Scope="local", Driver=n.driver,
        EnableIPv6=bool(n.subnet6),
        IPAM=NetworkIPAM(Driver="default", Options=n.ipam_options, Config=config),
        Internal=n.internal, Attachable=n.attachable, Containers=containers,
        Options=dict(n.options), Labels=dict(n.labels))


def decorate_container(c: Container, st: dict[str, Any], special_id: str, view: dict[str, Any],
                       kind: str) -> None:
    """Fill a container view's network parts from the plugin's state ``st``.

    ``special_id``: the id of the ``host``/``none`` network when that is its mode.
    """
    networks: dict[str, Any] = {}
    for e in st.get("networks", []):
        networks[e["name"]] = endpoint_settings(c, e, st.get("endpoints", {}).get(e["id"]))
    if st["mode"] in ("host", "none"):
        networks[st["mode"]] = endpoint_settings(c, {"id": special_id, "aliases": []}, None)
    # dockerd's ports are those of a live endpoint: none before the start or after the exit
    live = c.status in (State.RUNNING, State.PAUSED)
    exposed = list((c.config.ExposedPorts or {}).keys()) if live else []
    ports = st.get("ports", []) if live else []
    if kind == "summary":
        view["Ports"] = portmap.ports_summary(ports, exposed)
        view["NetworkSettings"] = {"Networks": networks}
        return
    ns = view.setdefault("NetworkSettings", {})
    ns["Networks"] = networks
    ns["Ports"] = portmap.ports_view(ports, exposed)
    ns["SandboxKey"] = st.get("netns", "")
    ns["SandboxID"] = c.id if st.get("netns") else ""
    bridge = networks.get("bridge")
    if bridge:
        for key in ("EndpointID", "Gateway", "IPAddress", "IPPrefixLen", "MacAddress"):
            ns[key] = bridge[key]
        ns["Bridge"] = ""


def endpoint_settings(c: Container, entry: dict[str, Any],
                      ep: dict[str, Any] | None) -> dict[str, Any]:
    """One ``NetworkSettings.Networks`` entry."""
    aliases = list(entry.get("aliases", []))
    ep = ep or {}
    ipam_cfg: dict[str, Any] = {}
    if entry.get("ip"):
        ipam_cfg["IPv4Address"] = entry["ip"]
    if entry.get("ip6"):
        ipam_cfg["IPv6Address"] = entry["ip6"]
    if entry.get("link_local"):
        ipam_cfg["LinkLocalIPs"] = list(entry["link_local"])
    user = entry.get("name") not in ("bridge", "host", "none", None)
    return {
        # API 1.44: Aliases are the endpoint's own; the short ID is in DNSNames
        "IPAMConfig": ipam_cfg or None, "Links": list(entry.get("links") or []) or None,
        "Aliases": aliases or None,
        "MacAddress": ep.get("mac") or entry.get("mac", ""),
        "DriverOpts": dict(entry.get("driver_opts") or {}) or None,
        "NetworkID": entry.get("id", ""), "EndpointID": ep.get("endpoint", ""),
        "Gateway": ep.get("gateway", ""), "IPAddress": ep.get("ip", ""),
        "IPPrefixLen": ep.get("prefix", 0), "IPv6Gateway": ep.get("gateway6", ""),
        "GlobalIPv6Address": ep.get("ip6", ""), "GlobalIPv6PrefixLen": ep.get("prefix6", 0),
        "DNSNames": [c.name, *aliases, c.id[:12]] if user else None,
    }
