"""Linux capability sets with Docker's defaults and ``--cap-add/--cap-drop`` rules (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pallet.errors import InvalidArgument

DEFAULT_CAPS: tuple[str, ...] = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
)

# In kernel bit order (bit n = ALL_CAPS[n]).
ALL_CAPS: tuple[str, ...] = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
)
_ALL = "ALL"


def normalize_cap(name: str) -> str:
    """``net_admin`` / ``CAP_NET_ADMIN`` -> ``CAP_NET_ADMIN``; ``all`` -> ``ALL``."""
    n = name.strip().upper()
    if n == _ALL:
        return _ALL
    if not n.startswith("CAP_"):
        n = "CAP_" + n
    if n not in ALL_CAPS:
        raise InvalidArgument(f"unknown capability: \"{name}\"")
    return n


def caps_from_mask(mask: int) -> frozenset[str]:
    """Capability names of a ``CapBnd``-style bit mask."""
    return frozenset(c for i, c in enumerate(ALL_CAPS) if mask >> i & 1)


def tweak_capabilities(
    cap_add: Sequence[str],
    cap_drop: Sequence[str],
    privileged: bool = False,
    available: Iterable[str] | None = None,
    basics: Sequence[str] = DEFAULT_CAPS,
) -> list[str]:
    """The container's capability list, following moby's ``caps.TweakCapabilities``.

    ``available`` is what the daemon itself holds (its bounding set): ``ALL`` and
    ``--privileged`` expand only to those, as moby expands to what the kernel knows.
    """
    everything = [c for c in ALL_CAPS if available is None or c in set(available)]
    if privileged:
        return everything
    adds = [normalize_cap(c) for c in cap_add]
    drops = [normalize_cap(c) for c in cap_drop]
    if not adds and not drops:
        return list(basics)
    if _ALL in adds:
        caps = [c for c in everything if c not in drops]
    elif _ALL in drops:
        caps = [c for c in adds if c != _ALL]
    else:
        caps = [c for c in basics if c not in drops]
        caps += [c for c in adds if c not in caps]
    return list(dict.fromkeys(caps))
