"""Timestamps, written and read in one place.

Written: Docker's RFC 3339 forms, :func:`rfc3339_nano` (nine fraction digits, as
``Created``, ``StartedAt`` and ``logs -t`` show them), :func:`rfc3339_seconds` and
:func:`now_rfc3339`. Read: ``--since``/``--until`` values (RFC 3339, unix seconds,
or a relative Go duration, ``10m`` = ten minutes ago) as Docker's
``seconds.nanos`` string, and daemon timestamps back to unix seconds.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from pallet.errors import InvalidArgument
from pallet.notation.durations import parse_duration

_UNIX = re.compile(r"^-?\d+(\.\d{1,9})?$")
_FRACTION = re.compile(r"\.(\d+)")


ZERO_TIME = "0001-01-01T00:00:00Z"


def rfc3339_nano(ns: int) -> str:
    """``2024-01-02T03:04:05.123456789Z`` for ``ns`` nanoseconds since the epoch."""
    secs, frac = divmod(ns, 1_000_000_000)
    return datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def rfc3339_seconds(secs: float) -> str:
    """``2024-01-02T03:04:05Z``: whole seconds (image and volume dates)."""
    return datetime.fromtimestamp(int(secs), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_of(secs: float) -> str:
    """A float timestamp (a file's mtime) at nanosecond precision."""
    return rfc3339_nano(round(secs * 1_000_000_000))


def now_rfc3339() -> str:
    return rfc3339_nano(time.time_ns())


def _rfc3339(text: str) -> tuple[int, int] | None:
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    nanos = 0
    m = _FRACTION.search(s)
    if m:
        digits = m.group(1)
        nanos = int(digits[:9].ljust(9, "0"))
        s = s[: m.start()] + s[m.end() :]
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M%z",
                "%Y-%m-%dT%H:%M", "%Y-%m-%d"):  # fmt: skip
        try:
            dt = datetime.strptime(s, fmt)
        except ValueError:
            continue
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=datetime.now().astimezone().tzinfo)
        return int(dt.timestamp()), nanos
    return None


def parse_timestamp(text: str, now: float) -> str:
    """``"10m"`` -> ``"<now-600>.000000000"``; ``"1700000000"`` passes through."""
    s = text.strip()
    if not s:
        return ""
    if _UNIX.match(s):
        return s
    try:
        ns = parse_duration(s)
    except InvalidArgument:
        pass
    else:
        t = now - ns / 1e9
        sec = int(t)
        return f"{sec}.{round((t - sec) * 1e9):09d}"
    parsed = _rfc3339(s)
    if parsed is None:
        raise InvalidArgument(f'failed to parse value as time or duration: "{text}"')
    sec, nanos = parsed
    return f"{sec}.{nanos:09d}"


def parse_iso(text: str) -> float:
    """A daemon timestamp (``2024-01-02T03:04:05.123456789Z``) -> unix seconds; 0 if empty."""
    if not text or text.startswith("0001-01-01"):
        return 0.0
    parsed = _rfc3339(text)
    if parsed is None:
        return 0.0
    return parsed[0] + parsed[1] / 1e9
