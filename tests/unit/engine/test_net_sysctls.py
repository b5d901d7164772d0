"""Which sysctls keep netavark's setup ahead of the runtime's create (engine/netplug/endpoint)."""

from __future__ import annotations

import pytest

from pallet.engine.netplug.endpoint import needs_interfaces


@pytest.mark.parametrize(("sysctls", "needs"), [
    ({}, False),
    ({"net.ipv4.ip_unprivileged_port_start": "0"}, False),
    ({"net.ipv4.conf.all.route_localnet": "1"}, False),
    ({"net.ipv4.conf.default.rp_filter": "0"}, False),
    ({"net.ipv4.conf.lo.arp_ignore": "1"}, False),
    ({"kernel.shmmax": "1"}, False),
    ({"net.ipv4.conf.eth0.route_localnet": "1"}, True),
    ({"net/ipv6/conf/eth0/disable_ipv6": "1"}, True),
    ({"net.ipv4.neigh.eth1.gc_stale_time": "60"}, True),
])
def test_interface_sysctls_need_the_interface_first(sysctls: dict[str, str], needs: bool) -> None:
    assert needs_interfaces(sysctls) is needs
