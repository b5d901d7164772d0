"""Per-daemon network settings: the default bridge and the pool for new networks.

Parallel palletd instances on one host must not share a bridge or a subnet, so
a daemon whose run directory is not the default one derives both from that
directory (the daemon configuration's ``bridge``/``bip`` override).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from ipaddress import IPv4Network
from pathlib import Path

from pallet.network.ipam import host_routes, parse_subnet, pick_subnet

DEFAULT_RUN = Path("/run/pallet")
DEFAULT_SUBNET = "10.99.0.0/16"
DEFAULT_BRIDGE = "pallet0"
POOL = IPv4Network("10.100.0.0/14")
DERIVED_POOL = IPv4Network("10.98.0.0/16")


@dataclass(frozen=True)
class NetConfig:
    bridge_name: str
    bridge_subnet: str
    pool: IPv4Network
    pool_prefix: int
    pool_start: int  # index of the first /prefix to try
    bridge_chosen: bool = False  # named in the daemon's configuration, not derived


def _digest(run: Path) -> bytes:
    return hashlib.sha256(str(run.resolve()).encode()).digest()


def net_config(run: Path, bridge_name: str | None = None,
               bridge_subnet: str | None = None) -> NetConfig:
    """The defaults for the daemon whose run directory is ``run``; a name or subnet given
    in the daemon's configuration wins."""
    default = run.resolve() == DEFAULT_RUN
    digest = _digest(run)
    seed = int.from_bytes(digest[:4], "big")
    name = bridge_name or (DEFAULT_BRIDGE if default else "plb" + digest.hex()[:10])
    subnet = bridge_subnet
    if subnet:
        parse_subnet(subnet)
    elif default:
        subnet = DEFAULT_SUBNET
    else:
        subnet = str(pick_subnet(DERIVED_POOL, 24, host_routes(), start=seed % 256))
    return NetConfig(name, subnet, POOL, 24, 0 if default else seed % 1024,
                     bridge_chosen=bool(bridge_name))
