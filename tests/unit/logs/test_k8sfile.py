"""k8s-file parser."""

from __future__ import annotations

import pytest

from pallet.errors import DataCorruption
from pallet.logs.k8sfile import LogRecord, format_line, parse_line, parse_lines, parse_time

T0 = "2026-11-29T13:13:34.372438029+00:00"
T0_NS = 1795958014372438029


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        (T0, T0_NS),
        ("2026-11-29T13:13:34.372438029Z", T0_NS),
        ("2026-11-29T14:13:34.372438029+01:00", T0_NS),
        ("2026-11-29T12:13:34.372438029-01:00", T0_NS),
        ("2026-11-29T13:13:34.3724+00:00", T0_NS - 38029),
        ("2026-11-29T13:13:34+00:00", T0_NS - 372438029),
        ("1970-01-01T00:00:00.000000001Z", 1),
    ],
)
def test_parse_time(text: str, ns: int) -> None:
    assert parse_time(text.encode()) == ns


def test_parse_line() -> None:
    assert parse_line(f"{T0} stdout F hello world\n".encode()) == LogRecord(
        T0_NS, 1, b"hello world\n")
    assert parse_line(f"{T0} stderr P part".encode()) == LogRecord(T0_NS, 2, b"part", True)
    assert parse_line(f"{T0} stdout F ".encode()).data == b"\n"
    assert parse_line(f"{T0} stdout F".encode()).data == b"\n"
    assert parse_line(f"{T0} stdout F a  b ".encode()).data == b"a  b \n"


@pytest.mark.parametrize("line", [b"", b"garbage", f"{T0} stdin F x".encode(),
                                  f"{T0} stdout X x".encode(), b"notatime stdout F x"])
def test_bad_lines(line: bytes) -> None:
    with pytest.raises(DataCorruption):
        parse_line(line)


def test_partials_concatenate_and_join() -> None:
    lines = [f"{T0} stdout P abc\n".encode(), f"{T0} stderr F err\n".encode(),
             b"junk\n", f"{T0} stdout P def\n".encode(), f"{T0} stdout F ghi\n".encode()]
    recs = list(parse_lines(lines))
    assert b"".join(r.data for r in recs if r.stream == 1) == b"abcdefghi\n"
    joined = list(parse_lines(lines, join_partial=True))
    assert [(r.stream, r.data) for r in joined] == [(2, b"err\n"), (1, b"abcdefghi\n")]
    tail = list(parse_lines([f"{T0} stdout P x\n".encode()], join_partial=True))
    assert tail == [LogRecord(T0_NS, 1, b"x", True)]


def test_format_round_trip() -> None:
    for rec in (LogRecord(T0_NS, 1, b"a b\n"), LogRecord(T0_NS, 2, b"p", True)):
        assert parse_line(format_line(rec, T0)) == rec
