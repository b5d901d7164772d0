"""netavark's setup document as types: what ``netavark setup|teardown`` reads on stdin,
and what ``setup`` answers.

The field names are netavark's (podman's network JSON), so a document encodes to what
netavark expects and the documents saved in container records and teardown notes
before these types existed decode unchanged. Fields pallet has not always written have
defaults, so an older document still loads; they are all encoded again (netavark
requires the booleans), but for a network's ``static_mac``, left out when empty.
"""

from __future__ import annotations

import msgspec


class PortMapping(msgspec.Struct, frozen=True):
    """One published port (``range`` consecutive ports from the two firsts)."""

    host_ip: str
    host_port: int
    container_port: int
    protocol: str = "tcp"
    range: int = 1


class NetworkOptions(msgspec.Struct, omit_defaults=True):
    """The container's side of one network (netavark's ``PerNetworkOptions``)."""

    static_ips: list[str]
    aliases: list[str]
    interface_name: str
    static_mac: str = ""  # left out when empty: netavark picks one


class Subnet(msgspec.Struct):
    subnet: str = ""
    gateway: str = ""


class NetworkInfo(msgspec.Struct):
    """netavark's view of a network."""

    name: str = ""
    id: str = ""
    driver: str = "bridge"
    network_interface: str = ""
    subnets: list[Subnet] = []
    ipv6_enabled: bool = False
    internal: bool = False
    dns_enabled: bool = False
    ipam_options: dict[str, str] = {}
    options: dict[str, str] = {}


class SetupDocument(msgspec.Struct):
    """The stdin document of ``netavark setup|teardown``; teardown needs the setup's."""

    container_id: str = ""
    container_name: str = ""
    networks: dict[str, NetworkOptions] = {}  # by netavark network name
    network_info: dict[str, NetworkInfo] = {}
    port_mappings: list[PortMapping] | None = None
    dns_servers: list[str] | None = None


class Interface(msgspec.Struct):
    mac_address: str = ""


class SetupStatus(msgspec.Struct):
    """netavark's answer for one network of a setup (the fields pallet reads; netavark
    writes null for what it has not)."""

    interfaces: dict[str, Interface] | None = None  # by interface name in the container
    dns_server_ips: list[str] | None = None  # aardvark's addresses, on a DNS-enabled network


SetupResult = dict[str, SetupStatus]  # by netavark network name
