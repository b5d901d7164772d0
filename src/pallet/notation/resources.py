"""Resource notations: ``--cpus 1.5``, ``--ulimit nofile=1024:2048``,
``--restart on-failure:3``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from pallet.errors import InvalidArgument

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from typing import Any

_RESTART = ("no", "always", "unless-stopped", "on-failure", "on-unhealthy")


def parse_cpus(text: str) -> int:
    """``"1.5"`` -> 1_500_000_000 NanoCpus (Docker's ParseCPUs)."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidArgument(f"failed to parse {text} as a rational number") from None
    if not value.is_finite():
        raise InvalidArgument(f"failed to parse {text} as a rational number")
    nano = value * 1_000_000_000
    if nano != nano.to_integral_value():
        raise InvalidArgument("value is too precise")
    if nano < 0:
        raise InvalidArgument(f"invalid value: {text}: must be positive")
    return int(nano)


def parse_ulimit(text: str) -> dict[str, Any]:
    """``nofile=1024:2048`` -> ``{"Name":"nofile","Soft":1024,"Hard":2048}``."""
    name, eq, limits = text.partition("=")
    if not eq or not name:
        raise InvalidArgument(f"invalid ulimit argument: {text}")
    soft_s, colon, hard_s = limits.partition(":")
    try:
        soft = int(soft_s)
        hard = int(hard_s) if colon else soft
    except ValueError:
        raise InvalidArgument(f"invalid ulimit argument: {text}") from None
    if soft > hard and hard != -1:
        raise InvalidArgument(
            f"ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
        )
    return {"Name": name, "Hard": hard, "Soft": soft}


def parse_restart(text: str) -> dict[str, Any]:
    """``on-failure:3`` -> ``{"Name":"on-failure","MaximumRetryCount":3}``."""
    if text == "":
        return {"Name": "no", "MaximumRetryCount": 0}
    name, colon, count = text.partition(":")
    if name not in _RESTART:
        raise InvalidArgument(f"invalid restart policy '{name}'")
    retries = 0
    if colon:
        if name != "on-failure":
            raise InvalidArgument(
                f"invalid restart policy format: maximum retry count can only be used "
                f"with 'on-failure': {text}"
            )
        try:
            retries = int(count)
        except ValueError:
            raise InvalidArgument(
                f"invalid restart policy format: maximum retry count must be an integer: {text}"
            ) from None
        if retries < 0:
            raise InvalidArgument("invalid restart policy: maximum retry count cannot be negative")
    return {"Name": name, "MaximumRetryCount": retries}


def parse_cpuset(text: str) -> frozenset[int]:
    """A cpuset list (``0-2,5``) -> its members; ValueError when malformed."""
    out: set[int] = set()
    for part in text.split(","):
        lo, dash, hi = part.strip().partition("-")
        if not lo.isdigit() or (dash and not hi.isdigit()):
            raise ValueError(text)
        first, last = int(lo), int(hi) if dash else int(lo)
        if last < first or last > 8191:
            raise ValueError(text)
        out.update(range(first, last + 1))
    return frozenset(out)
