"""Bridge names a network may use, and the rule that pallet never adopts a host bridge.

netavark creates the bridge a network names on the first start, and deletes it (with its
addresses) when the last container leaves, whoever made it. A network that named an
existing host bridge (``docker0``, a ``br0`` the host's own networking uses, another
engine's bridge) would therefore take that bridge down. Pallet refuses such a network at
create with a 400 instead of recording the bridge as user-owned: with netavark doing the
teardown, pallet cannot promise to leave an adopted bridge alone, and a refusal leaves
nothing half-done. The bridges pallet's own networks use remain usable by one network each.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from pallet.errors import Conflict, InvalidArgument

IFNAMSIZ = 16  # the kernel's limit, with the terminating NUL
_NAME = re.compile(r"[A-Za-z0-9_.-]+")
SYS_NET = Path("/sys/class/net")
MIN_MTU, MAX_MTU = 68, 65535


def check_bridge_name(name: str) -> None:
    """A Linux interface name: 1 to 15 of ``[A-Za-z0-9_.-]``, not ``.`` or ``..``."""
    if not name:
        raise InvalidArgument("bridge name must not be empty")
    if len(name) >= IFNAMSIZ:
        raise InvalidArgument(f"bridge name {name!r} is too long: an interface name has at "
                              f"most {IFNAMSIZ - 1} characters")
    if not _NAME.fullmatch(name) or name in (".", ".."):
        raise InvalidArgument(f"invalid bridge name {name!r}: only [A-Za-z0-9_.-] are allowed")


def check_options(options: Mapping[str, str]) -> None:
    """Driver options netavark would only refuse when a container starts (the MTU)."""
    for key in ("com.docker.network.driver.mtu", "mtu"):
        value = options.get(key)
        if value is None:
            continue
        try:
            mtu = int(value)
        except ValueError:
            raise InvalidArgument(f"invalid MTU {value!r} ({key}): not an integer") from None
        if not MIN_MTU <= mtu <= MAX_MTU:
            raise InvalidArgument(f"invalid MTU {mtu} ({key}): it must be between {MIN_MTU} "
                                  f"and {MAX_MTU}")


def host_interface_exists(name: str, sys_net: Path = SYS_NET) -> bool:
    return os.path.lexists(sys_net / name)


def claim_bridge(name: str, owned: Mapping[str, str], sys_net: Path = SYS_NET) -> None:
    """Check that a new network may use bridge ``name``; ``owned`` maps the bridges of
    pallet's networks to their network names."""
    check_bridge_name(name)
    if name in owned:
        raise Conflict(f"bridge name {name} is already used by network {owned[name]}")
    if host_interface_exists(name, sys_net):
        raise InvalidArgument(
            f"bridge name {name} names an existing host interface that pallet does not own; "
            "pallet never adopts a host bridge (it would be deleted when the network's last "
            "container leaves): choose a new name")

