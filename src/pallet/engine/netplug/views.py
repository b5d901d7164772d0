"""Networks as the Engine API shows them (``GET /networks`` and ``/networks/{id}``)."""

from __future__ import annotations

from collections.abc import Sequence

from pallet.api.models import EndpointIPAMConfig
from pallet.api.netmodels import IPAMConfig
from pallet.api.view_containers import (
    ContainerSummary,
    ContainerView,
    EndpointSettings,
    SummaryNetworkSettings,
)
from pallet.api.view_networks import Network, NetworkContainer, NetworkIPAM
from pallet.engine.lifecycle import State
from pallet.engine.pluginstate import Endpoint, NetworkEntry, NetworkState
from pallet.engine.records import Container
from pallet.network import portmap
from pallet.network.records import NetworkRecord


def network_view(n: NetworkRecord,
                 attached: Sequence[tuple[Container, Endpoint]] = ()) -> Network:
    config: list[IPAMConfig] = []
    if n.subnet:
        config.append(IPAMConfig(Subnet=n.subnet, IPRange=n.ip_range, Gateway=n.gateway,
                                 AuxiliaryAddresses=dict(n.aux_addresses) or None))
    if n.subnet6:
        config.append(IPAMConfig(Subnet=n.subnet6, IPRange=n.ip_range6, Gateway=n.gateway6))
    containers: dict[str, NetworkContainer] = {}
    for c, ep in attached:
        containers[c.id] = NetworkContainer(
            Name=c.name, EndpointID=ep.endpoint, MacAddress=ep.mac,
            IPv4Address=f"{ep.ip}/{ep.prefix}" if ep.ip else "",
            IPv6Address=f"{ep.ip6}/{ep.prefix6}" if ep.ip6 else "")
    return Network(
        Name=n.name, Id=n.id, Created=n.created, Scope="local", Driver=n.driver,
        EnableIPv6=bool(n.subnet6),
        IPAM=NetworkIPAM(Driver="default", Options=n.ipam_options, Config=config),
        Internal=n.internal, Attachable=n.attachable, Containers=containers,
        Options=dict(n.options), Labels=dict(n.labels))


def decorate_container(c: Container, st: NetworkState, special_id: str,
                       view: ContainerView) -> None:
    """Fill a container view's network parts from the plugin's state ``st``.

    ``special_id``: the id of the ``host``/``none`` network when that is its mode.
    """
    networks: dict[str, EndpointSettings] = {}
    for e in st.networks:
        networks[e.name] = endpoint_settings(c, e, st.endpoints.get(e.id))
    if st.mode in ("host", "none"):
        networks[st.mode] = endpoint_settings(c, NetworkEntry(id=special_id), None)
    # dockerd's ports are those of a live endpoint: none before the start or after the exit
    live = c.status in (State.RUNNING, State.PAUSED)
    exposed = list((c.config.ExposedPorts or {}).keys()) if live else []
    ports = st.ports if live else []
    if isinstance(view, ContainerSummary):
        view.Ports = portmap.ports_summary(ports, exposed)
        view.NetworkSettings = SummaryNetworkSettings(Networks=networks)
        return
    ns = view.NetworkSettings
    ns.Networks = networks
    ns.Ports = portmap.ports_view(ports, exposed)
    ns.SandboxKey = st.netns
    ns.SandboxID = c.id if st.netns else ""
    bridge = networks.get("bridge")
    if bridge:
        ns.EndpointID, ns.Gateway, ns.MacAddress = (bridge.EndpointID, bridge.Gateway,
                                                    bridge.MacAddress)
        ns.IPAddress, ns.IPPrefixLen = bridge.IPAddress, bridge.IPPrefixLen
        ns.Bridge = ""


def endpoint_settings(c: Container, entry: NetworkEntry,
                      ep: Endpoint | None) -> EndpointSettings:
    """One ``NetworkSettings.Networks`` entry."""
    aliases = list(entry.aliases)
    ep = ep or Endpoint()
    ipam = EndpointIPAMConfig(IPv4Address=entry.ip, IPv6Address=entry.ip6,
                              LinkLocalIPs=list(entry.link_local) or None)
    user = entry.name not in ("bridge", "host", "none", "")
    return EndpointSettings(
        IPAMConfig=ipam if ipam != EndpointIPAMConfig() else None,
        Links=list(entry.links) or None,
        # API 1.44: Aliases are the endpoint's own; the short ID is in DNSNames
        Aliases=aliases or None, MacAddress=ep.mac or entry.mac, NetworkID=entry.id,
        EndpointID=ep.endpoint, Gateway=ep.gateway, IPAddress=ep.ip, IPPrefixLen=ep.prefix,
        IPv6Gateway=ep.gateway6, GlobalIPv6Address=ep.ip6, GlobalIPv6PrefixLen=ep.prefix6,
        DriverOpts=dict(entry.driver_opts) or None,
        DNSNames=[c.name, *aliases, c.id[:12]] if user else None)
