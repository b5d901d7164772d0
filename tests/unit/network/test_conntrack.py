"""The UDP host ports whose stale flows are forgotten when they are (un)published."""

from __future__ import annotations

from pallet.network.conntrack import MAX_PORTS, udp_ports
from pallet.network.netdoc import PortMapping


def test_udp_ports_of_a_setup_document() -> None:
    assert udp_ports([
        PortMapping("", 80, 80, "tcp"),
        PortMapping("", 53, 53, "udp"),
        PortMapping("", 6000, 6000, "udp", range=3),
        PortMapping("", 0, 7, "udp"),
    ]) == [53, 6000, 6001, 6002]
    assert len(udp_ports([PortMapping("", 1, 1, "udp", range=60000)])) == MAX_PORTS
