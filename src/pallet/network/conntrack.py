"""Stale connection-tracking entries of published UDP ports.

A UDP flow the kernel saw before a port was published (or while it pointed at a removed
container) keeps its conntrack entry, and with it its old translation, for as long as the
client keeps sending (each packet renews the 30 s timeout): the new container never gets
the traffic. Like dockerd's port mapper, pallet deletes the entries of a UDP host port when
it publishes it and when it stops publishing it. TCP needs nothing: a new connection is a
new flow.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterable

from pallet.network.netdoc import PortMapping

log = logging.getLogger(__name__)

MAX_PORTS = 1024  # a wider published range is left to the conntrack timeouts


def udp_ports(mappings: Iterable[PortMapping]) -> list[int]:
    """The host ports of the UDP mappings of a netavark setup document."""
    ports: list[int] = []
    for m in mappings:
        if m.protocol == "udp" and m.host_port > 0:
            ports += range(m.host_port, m.host_port + max(1, m.range))
    return ports[:MAX_PORTS]


def forget_udp_flows(ports: Iterable[int]) -> None:
    """Delete the conntrack entries whose original destination is one of ``ports``."""
    tool = shutil.which("conntrack")
    ports = list(ports)
    if not ports:
        return
    if tool is None:
        log.warning("conntrack is not installed: stale UDP flows to ports %s may linger",
                    ports[:5])
        return
    for port in ports:
        # exit status 1 means "0 flow entries have been deleted"
        subprocess.run([tool, "-D", "-p", "udp", "--orig-port-dst", str(port)],
                       capture_output=True, timeout=30)
