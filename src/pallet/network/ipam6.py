"""IPv6 address management for dual-stack networks (netavark has no IPAM of its own).

A network with IPv6 has one IPv6 subnet beside its IPv4 one: the one its IPAM config names,
or, for ``EnableIPv6`` without one, a unique local /64 (``fd``-prefixed, Global ID from the
network's ID, as RFC 4193 suggests for locally assigned prefixes). The gateway is the
subnet's first address unless given; containers get the next free ones (within the
``IPRange`` when there is one), or the ``IPv6Address`` they ask for.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv6Address, IPv6Network

from pallet.errors import Conflict, InvalidArgument
from pallet.network.ipam import address_of_family, subnet_of_family

_SCAN_LIMIT = 1 << 16  # addresses looked at for a free one (a network holds far fewer)


def parse_subnet6(text: str) -> IPv6Network:
    return subnet_of_family(text, IPv6Network, 124)


def parse_address6(text: str, what: str = "IPv6 address") -> IPv6Address:
    return address_of_family(text, IPv6Address, what)


def ula_subnet(network_id: str) -> IPv6Network:
    """``fdXX:XXXX:XXXX::/64`` with the 40-bit Global ID taken from the network's ID."""
    gid = int(network_id[:10], 16)
    return IPv6Network(((0xFD << 120) | (gid << 80), 64))


def is_ipv6(text: str) -> bool:
    return ":" in text


def next_address6(subnet: IPv6Network, gateway: IPv6Address, used: Iterable[str],
                  ip_range: IPv6Network | None = None) -> IPv6Address:
    """The first free address after the gateway's (within ``ip_range`` when given)."""
    taken = {str(gateway), *used}
    pool = ip_range or subnet
    start = int(pool.network_address) + 1
    end = min(int(pool.broadcast_address), start + _SCAN_LIMIT)
    for value in range(start, end):
        addr = IPv6Address(value)
        if str(addr) not in taken:
            return addr
    raise Conflict(f"no available IPv6 addresses on the network ({pool})")


def check_static6(subnet: IPv6Network, gateway: IPv6Address, ip: str,
                  used: Iterable[str]) -> str:
    """A requested ``--ip6``: inside the subnet, not the gateway, not taken."""
    addr = parse_address6(ip)
    if addr not in subnet or addr == subnet.network_address:
        raise InvalidArgument(f"requested IP {ip} is not in the network's subnet {subnet}")
    if addr == gateway or str(addr) in set(used):
        raise Conflict(f"Address already in use: {ip}")
    return str(addr)
