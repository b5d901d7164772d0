"""IPv6 address management of dual-stack networks."""

from __future__ import annotations

from ipaddress import IPv6Address, IPv6Network

import pytest

from pallet.errors import Conflict, InvalidArgument
from pallet.network.ipam6 import check_static6, next_address6, parse_subnet6, ula_subnet


def test_parse_subnet6() -> None:
    assert parse_subnet6("2001:389::0/96") == IPv6Network("2001:389::/96")
    for bad in ("10.0.0.0/8", "2001:389::1/64", "nonsense", "2001::/127"):
        with pytest.raises(InvalidArgument):
            parse_subnet6(bad)


def test_ula_subnet_is_a_unique_local_64_from_the_id() -> None:
    net = ula_subnet("3254ad354439140ed83b")
    assert net == IPv6Network("fd32:54ad:3544::/64")
    assert net.subnet_of(IPv6Network("fc00::/7"))


def test_addresses_skip_the_gateway_and_taken_ones() -> None:
    subnet = IPv6Network("2001:389::/64")
    gw = IPv6Address("2001:389::1")
    assert next_address6(subnet, gw, []) == IPv6Address("2001:389::2")
    assert next_address6(subnet, gw, ["2001:389::2"]) == IPv6Address("2001:389::3")
    assert next_address6(subnet, IPv6Address("2001:389::ffff"), [],
                         IPv6Network("2001:389::/96")) == IPv6Address("2001:389::1")
    assert check_static6(subnet, gw, "2001:389::f00d", []) == "2001:389::f00d"
    with pytest.raises(Conflict):
        check_static6(subnet, gw, "2001:389::1", [])
    with pytest.raises(InvalidArgument):
        check_static6(subnet, gw, "2001:db8::5", [])
