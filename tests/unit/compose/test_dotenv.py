"""``.env`` parsing with Compose v2's rules, table-driven."""

from __future__ import annotations

import pytest

from pallet.compose.dotenv import parse_env
from pallet.compose.errors import ComposeError

CASES = [
    ("A=1", {"A": "1"}),
    ("A=1\nB=2\n", {"A": "1", "B": "2"}),
    ("# comment\n\nA=1\n  # indented comment\n", {"A": "1"}),
    ("export A=1", {"A": "1"}),
    ("export  A = spaced  ", {"A": "spaced"}),
    ("A: colon", {"A": "colon"}),
    ("A=value # comment", {"A": "value"}),
    ("A=value#not-a-comment", {"A": "value#not-a-comment"}),
    ("A='single # kept'", {"A": "single # kept"}),
    ('A="double # kept"', {"A": "double # kept"}),
    ("A='lit $B \\n'", {"A": "lit $B \\n"}),
    ('A="esc\\n\\t\\"q\\" \\\\"', {"A": 'esc\n\t"q" \\'}),
    ('A="multi\nline"', {"A": "multi\nline"}),
    ("A='multi\nline'\nB=2", {"A": "multi\nline", "B": "2"}),
    ("A=", {"A": ""}),
    ('A=""', {"A": ""}),
    ("A=1\nB=${A}2", {"A": "1", "B": "12"}),
    ('A=1\nB="${A:-x}$${A}"', {"A": "1", "B": "1${A}"}),
    ("B=${UNSET:-def}", {"B": "def"}),
    ('A="\\$notvar"', {"A": "$notvar"}),
    ("\ufeffA=bom", {"A": "bom"}),
    ("A=1\r\nB=2\r\n", {"A": "1", "B": "2"}),
    ("dotted.key=1\ndash-key=2", {"dotted.key": "1", "dash-key": "2"}),
    ("A=a=b=c", {"A": "a=b=c"}),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse(text: str, expected: dict[str, str]) -> None:
    assert parse_env(text) == expected


def test_bare_key_takes_the_lookup_value_or_is_left_out() -> None:
    env = {"FROM_SHELL": "shell"}
    assert parse_env("FROM_SHELL\nMISSING\nA=1", env.get) == {"FROM_SHELL": "shell", "A": "1"}


def test_interpolation_sees_the_shell_before_the_file() -> None:
    env = {"A": "shell"}
    assert parse_env("A=file\nB=${A}", env.get) == {"A": "file", "B": "shell"}


@pytest.mark.parametrize(("text", "where", "message"), [
    ("A=1\nB='open", ".env:2", "unterminated quoted value"),
    ("A=1\n\nB C=1", ".env:3", "key cannot contain a space"),
    ("A=1\nB$=1", ".env:2", "unexpected character '$'"),
    ("A=${B:?need B}", ".env:1", "required variable B is missing a value: need B"),
])
def test_errors_name_the_line(text: str, where: str, message: str) -> None:
    with pytest.raises(ComposeError) as err:
        parse_env(text)
    assert err.value.where == where and message in err.value.detail
