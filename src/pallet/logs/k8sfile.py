"""Parser of conmon's k8s-file (CRI) log format (pure).

Each line: ``<RFC3339Nano time> <stdout|stderr> <F|P> <data>\\n``. ``P`` marks a partial
line (the container wrote no newline yet): its data is taken as is; ``F`` ends a line,
so its record gets the newline back. Concatenating records of a stream restores it.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pallet.errors import DataCorruption

STREAMS = {b"stdout": 1, b"stderr": 2}


@dataclass(frozen=True)
class LogRecord:
    time_ns: int
    stream: int  # 1 = stdout, 2 = stderr
    data: bytes
    partial: bool = False


def parse_time(ts: bytes) -> int:
    """``2026-11-29T13:13:34.372438029+00:00`` (or ``Z``) -> ns since the epoch."""
    s = ts.decode("ascii")
    try:
        date, rest = s.split("T", 1)
        if rest.endswith("Z"):
            clock, offset = rest[:-1], 0
        else:
            cut = max(rest.rfind("+"), rest.rfind("-"))
            if cut < 0:
                raise ValueError("no offset")
            clock, off = rest[:cut], rest[cut:]
            oh, om = off[1:].split(":") if ":" in off else (off[1:3], off[3:5])
            offset = (int(oh) * 3600 + int(om) * 60) * (1 if off[0] == "+" else -1)
        hms, _, frac = clock.partition(".")
        y, mo, d = (int(x) for x in date.split("-"))
        h, mi, se = (int(x) for x in hms.split(":"))
    except ValueError as e:
        raise DataCorruption(f"bad log timestamp {s!r}") from e
    secs = calendar.timegm((y, mo, d, h, mi, se, 0, 0, 0)) - offset
    nanos = int((frac + "000000000")[:9]) if frac else 0
    return secs * 1_000_000_000 + nanos


def parse_line(line: bytes) -> LogRecord:
    """One log line (with or without its trailing newline)."""
    if line.endswith(b"\n"):
        line = line[:-1]
    parts = line.split(b" ", 3)
    if len(parts) < 3:
        raise DataCorruption(f"bad k8s-file log line {line[:80]!r}")
    ts, stream, tag = parts[0], parts[1], parts[2]
    data = parts[3] if len(parts) > 3 else b""
    sid = STREAMS.get(stream)
    if sid is None or tag not in (b"F", b"P"):
        raise DataCorruption(f"bad k8s-file log line {line[:80]!r}")
    partial = tag == b"P"
    return LogRecord(parse_time(ts), sid, data if partial else data + b"\n", partial)


def parse_lines(lines: Iterable[bytes], join_partial: bool = False) -> Iterator[LogRecord]:
    """Records of complete lines; bad lines are skipped.

    With ``join_partial`` consecutive ``P`` records of a stream are merged with the
    record that completes them (keeping the first time stamp).
    """
    pending: dict[int, LogRecord] = {}
    for raw in lines:
        if not raw.strip():
            continue
        try:
            rec = parse_line(raw)
        except DataCorruption:
            continue
        if not join_partial:
            yield rec
            continue
        prev = pending.pop(rec.stream, None)
        if prev is not None:
            rec = LogRecord(prev.time_ns, rec.stream, prev.data + rec.data, rec.partial)
        if rec.partial:
            pending[rec.stream] = rec
        else:
            yield rec
    yield from pending.values()


def format_line(rec: LogRecord, time_text: str) -> bytes:
    """The k8s-file line for ``rec`` (for tests and engine-written records)."""
    stream = b"stdout" if rec.stream == 1 else b"stderr"
    data = rec.data[:-1] if rec.data.endswith(b"\n") else rec.data
    tag = b"F" if rec.data.endswith(b"\n") else b"P"
    return b" ".join((time_text.encode(), stream, tag, data)) + b"\n"
