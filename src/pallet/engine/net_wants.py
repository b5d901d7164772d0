"""What a container asks of the network at create, as its network state.

State in ``Container.extras["network"]``::

    mode      "bridge" | "host" | "none" | "container:<id>" | "user"
    networks  [{"id", "name", "aliases", "ip"}]  what the container is connected to
    netns     the pinned namespace file while it runs
    docs      the netavark documents set up (teardown needs the same ones)
    endpoints {network id: {"ip", "prefix", "gateway", "mac", "endpoint", "interface"}}
    ports     the published ports in netavark's wire form
"""

from __future__ import annotations

from typing import Any, Protocol

from pallet.engine.records import Container
from pallet.errors import InvalidArgument
from pallet.network.records import NetworkRecord

KEY = "network"
SPECIAL = ("host", "none")


class Networks(Protocol):
    def resolve(self, ref: str) -> NetworkRecord: ...


class Containers(Protocol):
    def resolve(self, ref: str) -> Container: ...


def mode_of(c: Container) -> str:
    mode = c.host_config.NetworkMode or "default"
    return "bridge" if mode == "default" else mode


def entry(n: NetworkRecord, aliases: list[str], ip: str) -> dict[str, Any]:
    """One network the container is connected to; aliases and a fixed address are for
    user-defined networks only, as in Docker."""
    if (aliases or ip) and n.builtin:
        raise InvalidArgument("network-scoped aliases and IPs are only supported for "
                              "user-defined networks")
    return {"id": n.id, "name": n.name, "aliases": aliases, "ip": ip}


def initial_state(c: Container, nets: Networks, records: Containers) -> dict[str, Any]:
    """The network state of a container just created (no endpoint yet)."""
    mode = mode_of(c)
    eps = dict((c.networking.EndpointsConfig or {}) if c.networking else {})
    if "default" in eps:
        eps["bridge"] = eps.pop("default")
    st: dict[str, Any] = {"networks": [], "docs": [], "endpoints": {}, "ports": [],
                          "netns": ""}
    if mode in SPECIAL:
        st["mode"] = mode
    elif mode.startswith("container:"):
        other = records.resolve(mode.split(":", 1)[1])
        if other.id == c.id:
            raise InvalidArgument("cannot join own network namespace")
        st["mode"] = "container:" + other.id
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
            aliases = list(getattr(ep, "Aliases", None) or []) if ep is not None else []
            ipam_cfg = (getattr(ep, "IPAMConfig", None) or {}) if ep is not None else {}
            st["networks"].append(entry(n, aliases, str(ipam_cfg.get("IPv4Address") or "")))
        st["mode"] = "bridge" if st["networks"][0]["name"] == "bridge" else "user"
    return st
