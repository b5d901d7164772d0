"""IP address management (netavark 1.4 has none): pure choices over what is taken.

Subnets for new networks come from a pool, skipping any that overlap a subnet
already used by pallet or routed on the host. Addresses are handed out after
the last one given (round robin), so a released address is not reused at once.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import TypeVar

from pallet.errors import Conflict, InvalidArgument

Net = TypeVar("Net", IPv4Network, IPv6Network)
Addr = TypeVar("Addr", IPv4Address, IPv6Address)


def subnet_of_family(text: str, family: type[Net], max_prefix: int) -> Net:
    """``text`` as a subnet of ``family`` (IPv4Network or IPv6Network)."""
    net = any_subnet(text, max_prefix)
    if not isinstance(net, family):
        raise InvalidArgument(f"{text} is not an IPv{6 if net.version == 4 else 4} subnet")
    return net


def address_of_family(text: str, family: type[Addr], what: str) -> Addr:
    addr = any_address(text, what)
    if not isinstance(addr, family):
        raise InvalidArgument(f"invalid {what} {text!r}: not IPv{6 if addr.version == 4 else 4}")
    return addr


def any_subnet(text: str, max_prefix: int) -> IPv4Network | IPv6Network:
    """A subnet of either family: its address the network's own, ``max_prefix`` at most."""
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise InvalidArgument(f"invalid subnet {text!r}") from None
    if "/" in text and ipaddress.ip_address(text.split("/")[0]) != net.network_address:
        raise InvalidArgument(f"invalid subnet {text}: it should be {net}")
    if net.prefixlen > max_prefix:
        raise InvalidArgument(f"subnet {text} is too small")
    return net


def any_address(text: str, what: str) -> IPv4Address | IPv6Address:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise InvalidArgument(f"invalid {what} {text!r}") from None


def parse_subnet(text: str) -> IPv4Network:
    return subnet_of_family(text, IPv4Network, 30)


def parse_address(text: str, what: str = "address") -> IPv4Address:
    return address_of_family(text, IPv4Address, what)


def host_routes() -> list[IPv4Network]:
    """Subnets routed on the host (``/proc/net/route``), so new networks avoid them."""
    out: list[IPv4Network] = []
    try:
        with open("/proc/net/route") as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return out
    for line in lines:
        parts = line.split()
        if len(parts) < 8:
            continue
        dest = socket.inet_ntoa(struct.pack("<I", int(parts[1], 16)))
        mask = socket.inet_ntoa(struct.pack("<I", int(parts[7], 16)))
        if dest == "0.0.0.0":
            continue
        out.append(IPv4Network(f"{dest}/{mask}", strict=False))
    return out


def pick_subnet(pool: IPv4Network, prefix: int, taken: Iterable[IPv4Network],
                start: int = 0) -> IPv4Network:
    """The first ``/prefix`` of ``pool`` (from index ``start``, wrapping) overlapping nothing."""
    taken = list(taken)
    candidates = list(pool.subnets(new_prefix=prefix))
    n = len(candidates)
    for i in range(n):
        net = candidates[(start + i) % n]
        if not any(net.overlaps(t) for t in taken):
            return net
    raise Conflict("could not find an available, non-overlapping IPv4 address pool "
                   "among the defaults to assign to the network")


def gateway_of(subnet: IPv4Network) -> IPv4Address:
    return subnet.network_address + 1


def next_address(subnet: IPv4Network, gateway: IPv4Address, used: Iterable[str],
                 last: str | None = None, ip_range: IPv4Network | None = None) -> IPv4Address:
    """The next free address after ``last`` in ``ip_range`` (or the subnet), wrapping."""
    taken = {IPv4Address(u) for u in used}
    taken.add(gateway)
    space = ip_range or subnet
    first = int(space.network_address) + (1 if space.prefixlen < 31 else 0)
    end = int(space.broadcast_address) - (1 if space.prefixlen < 31 else 0)
    lo = max(first, int(subnet.network_address) + 1)
    hi = min(end, int(subnet.broadcast_address) - 1)
    if hi < lo:
        raise Conflict(f"no available IPv4 addresses on this network's address pools: {subnet}")
    start = lo
    if last is not None:
        prev = int(IPv4Address(last))
        if lo <= prev < hi:
            start = prev + 1
    size = hi - lo + 1
    for i in range(size):
        cand = IPv4Address(lo + (start - lo + i) % size)
        if cand not in taken:
            return cand
    raise Conflict(f"no available IPv4 addresses on this network's address pools: {subnet}")


def check_static(subnet: IPv4Network, gateway: IPv4Address, ip: str, used: Iterable[str]) -> str:
    """A requested ``--ip``: inside the subnet, not the gateway, not taken."""
    addr = parse_address(ip, "IPv4 address")
    if addr not in subnet or addr in (subnet.network_address, subnet.broadcast_address):
        raise InvalidArgument(f"requested IP {ip} is not in the network's subnet {subnet}")
    if addr == gateway or ip in set(used):
        raise Conflict(f"Address already in use: {ip}")
    return str(addr)
