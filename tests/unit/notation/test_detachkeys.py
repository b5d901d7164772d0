"""Detach keys: Docker's notation and the escape filter over stdin."""

from __future__ import annotations

import pytest

from pallet.errors import InvalidArgument
from pallet.notation.detachkeys import EscapeFilter, parse, parse_or_default


def test_parse_docker_notation() -> None:
    assert parse("ctrl-p,ctrl-q") == b"\x10\x11"
    assert parse("ctrl-x,x") == b"\x18x"
    assert parse("ctrl-@,ctrl-[,ctrl-_") == b"\x00\x1b\x1f"
    assert parse_or_default("") == b"\x10\x11"
    for bad in ("ctrl-", "ctrl-1", "ab", "", "ctrl-p,,ctrl-q"):
        with pytest.raises(InvalidArgument, match="Invalid detach keys"):
            parse(bad)


def test_filter_passes_input_and_stops_at_the_sequence() -> None:
    f = EscapeFilter(b"\x10\x11")
    assert f.feed(b"echo hi\n") == b"echo hi\n"
    assert f.feed(b"ab\x10") == b"ab"  # held: could start the sequence
    assert not f.detached
    assert f.feed(b"\x11after") == b""
    assert f.detached


def test_filter_releases_a_false_start() -> None:
    f = EscapeFilter(b"\x18x")
    assert f.feed(b"\x18") == b""
    assert f.feed(b"y") == b"\x18y"
    assert f.feed(b"\x18\x18x") == b"\x18"  # the second ctrl-x starts the real sequence
    assert f.detached
