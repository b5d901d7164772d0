"""Interpolation of one string: Compose v2's grammar, table-driven."""

from __future__ import annotations

import pytest

from pallet.compose.errors import ComposeError
from pallet.compose.template import InvalidTemplate, MissingVariable, substitute

ENV = {"SET": "value", "EMPTY": "", "PORT": "8080", "lower_name": "low"}

CASES = [
    ("plain", "plain"),
    ("$SET", "value"),
    ("${SET}", "value"),
    ("${UNSET}", ""),
    ("$UNSET-x", "-x"),
    ("a$$b", "a$b"),
    ("$${SET}", "${SET}"),
    ("${SET:-d}", "value"),
    ("${EMPTY:-d}", "d"),
    ("${UNSET:-d}", "d"),
    ("${EMPTY-d}", ""),
    ("${UNSET-d}", "d"),
    ("${SET:+x}", "x"),
    ("${EMPTY:+x}", ""),
    ("${UNSET:+x}", ""),
    ("${EMPTY+x}", "x"),
    ("${UNSET+x}", ""),
    ("${SET?err}", "value"),
    ("${EMPTY?err}", ""),
    ("${UNSET:-${PORT}}", "8080"),
    ("${UNSET:-${ALSO_UNSET:-deep}}", "deep"),
    ("${UNSET:-a}-${SET}", "a-value"),
    ("${UNSET:-x} and ${UNSET2:-y}", "x and y"),
    ("${UNSET:-a:b}", "a:b"),
    ("${UNSET:-}", ""),
    ("${lower_name}", "low"),
    ("$1 $ alone $", "$1 $ alone $"),
    ("127.0.0.1:${PORT}:80", "127.0.0.1:8080:80"),
    ("${UNSET:-x}}", "x}"),
    ("line1 ${UNSET:-a}\nline2 ${SET}", "line1 a\nline2 value"),
]


@pytest.mark.parametrize(("template", "expected"), CASES)
def test_substitute(template: str, expected: str) -> None:
    assert substitute(template, ENV.get) == expected


@pytest.mark.parametrize(("template", "message"), [
    ("${UNSET:?must be set}", "required variable UNSET is missing a value: must be set"),
    ("${EMPTY:?no empty}", "required variable EMPTY is missing a value: no empty"),
    ("${UNSET?}", "required variable UNSET is missing a value"),
    ("${UNSET:?${PORT} needed}", "required variable UNSET is missing a value: 8080 needed"),
])
def test_required_variables_fail_with_their_message(template: str, message: str) -> None:
    with pytest.raises(MissingVariable) as err:
        substitute(template, ENV.get)
    assert err.value.detail == message


@pytest.mark.parametrize("template", ["${", "${}", "${1A}", "${A B}", "${A:-x", "${A:-x\n}",
                                      "${A.B}"])
def test_invalid_templates(template: str) -> None:
    with pytest.raises(InvalidTemplate):
        substitute(template, ENV.get)


def test_unset_names_are_reported_for_warnings() -> None:
    missing: list[str] = []
    substitute("$A ${B} ${C:-x} ${SET}", ENV.get, missing)
    assert missing == ["A", "B"]


def test_errors_are_compose_errors() -> None:
    assert issubclass(InvalidTemplate, ComposeError)
