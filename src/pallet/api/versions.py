"""Engine API versions: what pallet serves and how version strings compare.

Versions are ``(major, minor)`` tuples so they compare with ``<``/``>=``.
"""

from __future__ import annotations

from pallet.errors import InvalidArgument

Version = tuple[int, int]

CURRENT: Version = (1, 44)
MINIMUM: Version = (1, 24)
CURRENT_STR = "1.44"
MINIMUM_STR = "1.24"


def parse(text: str) -> Version:
    """``"1.44"`` -> ``(1, 44)``; raises InvalidArgument for anything else."""
    major, dot, minor = text.partition(".")
    if not dot or not major.isdigit() or not minor.isdigit():
        raise InvalidArgument(f"invalid API version {text!r}")
    return int(major), int(minor)


def format_version(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


def negotiate(requested: Version) -> Version:
    """The version a request is served at: the requested one, as dockerd does.

    Raises InvalidArgument (400) with dockerd's messages when it is below MINIMUM or above
    CURRENT (clients negotiate through ``/_ping``'s ``Api-Version``, which is unversioned).
    """
    if requested < MINIMUM:
        raise InvalidArgument(
            f"client version {format_version(requested)} is too old. Minimum supported API "
            f"version is {MINIMUM_STR}, please upgrade your client to a newer version"
        )
    if requested > CURRENT:
        raise InvalidArgument(
            f"client version {format_version(requested)} is too new. Maximum supported API "
            f"version is {CURRENT_STR}")
    return requested
