"""The UDP host ports whose stale flows are forgotten when they are (un)published."""

from __future__ import annotations

from pallet.network.conntrack import MAX_PORTS, udp_ports


def test_udp_ports_of_a_setup_document() -> None:
    assert udp_ports([
        {"protocol": "tcp", "host_port": 80, "range": 1},
        {"protocol": "udp", "host_port": 53, "range": 1},
        {"protocol": "udp", "host_port": 6000, "range": 3},
        {"protocol": "udp", "host_port": 0},
    ]) == [53, 6000, 6001, 6002]
    assert len(udp_ports([{"protocol": "udp", "host_port": 1, "range": 60000}])) == MAX_PORTS
