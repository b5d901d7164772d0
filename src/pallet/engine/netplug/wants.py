"""What a container asks of the network at create, as its network state.

The state is ``Container.extras.network``, a :class:`~pallet.engine.pluginstate.NetworkState`:
the mode and the networks asked for are set here; the netns, netavark's documents, the
endpoints, the published ports and the resolvers are set while it runs (``endpoint``,
``live``) and dropped at its stop (``reaper``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

from pallet.api.models import EndpointIPAMConfig, EndpointSettings
from pallet.engine.pluginstate import NetworkEntry, NetworkState
from pallet.engine.records import Container
from pallet.errors import InvalidArgument
from pallet.network.records import NetworkRecord

KEY = "network"
_MAC = re.compile(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")
SPECIAL = ("host", "none")


class Networks(Protocol):
    def resolve(self, ref: str) -> NetworkRecord: ...


class Containers(Protocol):
    def resolve(self, ref: str) -> Container: ...


def mode_of(c: Container) -> str:
    mode = c.host_config.NetworkMode or "default"
    return "bridge" if mode == "default" else mode


def entry(n: NetworkRecord, ep: EndpointSettings | None, mac: str = "") -> NetworkEntry:
    """One network the container is connected to, from its endpoint settings; aliases and a
    fixed address are for user-defined networks only, as in Docker. ``mac``: the container's
    own ``MacAddress`` (it goes to the first network when the endpoint names none)."""
    ep = ep or EndpointSettings()
    aliases = list(ep.Aliases or [])
    ipam_cfg = ep.IPAMConfig or EndpointIPAMConfig()
    ip, ip6 = ipam_cfg.IPv4Address, ipam_cfg.IPv6Address
    if (aliases or ip or ip6) and n.builtin:
        raise InvalidArgument("network-scoped aliases and IPs are only supported for "
                              "user-defined networks")
    mac = ep.MacAddress or mac
    if mac and not _MAC.fullmatch(mac):
        raise InvalidArgument(f"invalid MAC address: {mac}")
    return NetworkEntry(id=n.id, name=n.name, aliases=aliases, ip=ip, ip6=ip6,
                        links=list(ep.Links or []), mac=mac.lower(),
                        driver_opts=dict(ep.DriverOpts or {}),
                        link_local=list(ipam_cfg.LinkLocalIPs or []))


def linked_as(c: Container, network_id: str, others: Iterable[Container]) -> list[str]:
    """The names other containers on the network link to ``c`` by (``EndpointSettings.Links``
    ``"name:alias"``): aardvark answers them for ``c`` on that network."""
    out: list[str] = []
    for other in others:
        for e in other.extras.network.networks if other.extras.network else []:
            if e.id != network_id or other.id == c.id:
                continue
            for link in e.links:
                name, _, alias = link.partition(":")
                if name.strip("/") in (c.name, c.id, c.id[:12]) and (alias or name) not in out:
                    out.append(alias or name)
    return out


def initial_state(c: Container, nets: Networks, records: Containers) -> NetworkState:
    """The network state of a container just created (no endpoint yet)."""
    mode = mode_of(c)
    eps = dict((c.networking.EndpointsConfig or {}) if c.networking else {})
    if "default" in eps:
        eps["bridge"] = eps.pop("default")
    st = NetworkState()
    if mode in SPECIAL:
        st.mode = mode
    elif mode.startswith("container:"):
        other = records.resolve(mode.split(":", 1)[1])
        if other.id == c.id:
            raise InvalidArgument("cannot join own network namespace")
        st.mode = "container:" + other.id
        if c.host_config.PortBindings or c.host_config.PublishAllPorts:
            raise InvalidArgument("conflicting options: port publishing and the "
                                  "container type network mode")
    else:
        order = [mode] + [k for k in eps if k != mode]
        for ref in order:
            n = nets.resolve(ref)
            if n.driver in ("host", "null"):
                raise InvalidArgument(f"container cannot be connected to network {n.name} "
                                      "together with other networks")
            ep = eps.get(ref) or eps.get(n.name) or eps.get(n.id)
            first = not st.networks
            st.networks.append(entry(n, ep, (c.config.MacAddress or "") if first else ""))
        st.mode = "bridge" if st.networks[0].name == "bridge" else "user"
    return st
