"""Word expansion: Docker's shell lexer rules, as tables."""

from __future__ import annotations

import pytest

from pallet.dockerfile.words import ExpandError, expand, expand_words, split_quoted

ENV = {"A": "apple", "E": "", "SP": "a b", "HOME": "/root"}


@pytest.mark.parametrize(
    ("word", "out"),
    [
        ("$A", "apple"),
        ("${A}", "apple"),
        ("x${A}y", "xappley"),
        ("$A/$HOME", "apple//root"),
        ("$MISSING", ""),
        ("${MISSING:-def}", "def"),
        ("${E:-def}", "def"),
        ("${E-def}", ""),
        ("${MISSING-def}", "def"),
        ("${A:-def}", "apple"),
        ("${A:+alt}", "alt"),
        ("${E:+alt}", ""),
        ("${E+alt}", "alt"),
        ("${MISSING:+alt}", ""),
        ("${MISSING:-${A}}", "apple"),
        ("'$A'", "$A"),
        ('"$A"', "apple"),
        ('"a\\"b"', 'a"b'),
        ('"\\$A"', "$A"),
        ('"a\\nb"', "a\\nb"),
        ("\\$A", "$A"),
        ("a\\ b", "a b"),
        ("$", "$"),
        ("a$", "a$"),
        ("${A}${A}", "appleapple"),
        ('"${MISSING:-x y}"', "x y"),
    ],
)
def test_expand(word: str, out: str) -> None:
    assert expand(word, ENV) == out


def test_escape_token_backtick() -> None:
    assert expand("a`$A", ENV, escape="`") == "a$A"
    assert expand("a\\b", ENV, escape="`") == "a\\b"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a b  c", ["a", "b", "c"]),
        ('"a b" c', ["a b", "c"]),
        ("$SP c", ["a", "b", "c"]),
        ('"$SP" c', ["a b", "c"]),
        ("'' x", ["", "x"]),
        ("80/tcp ${P:-443}", ["80/tcp", "443"]),
    ],
)
def test_expand_words(text: str, words: list[str]) -> None:
    assert expand_words(text, ENV) == words


@pytest.mark.parametrize(
    ("word", "message"),
    [
        ("${MISSING:?must be set}", "MISSING: must be set"),
        ("${E?}", None),
        ("'open", "matching single-quote"),
        ('"open', "matching double-quote"),
        ("${A", "missing '}'"),
        ("${A*x}", "missing ':'"),
    ],
)
def test_errors(word: str, message: str | None) -> None:
    if message is None:
        assert expand(word, ENV) == ""
        return
    with pytest.raises(ExpandError, match=message.replace("'", ".")):
        expand(word, ENV)


def test_split_quoted_keeps_quotes() -> None:
    assert split_quoted('a="b c" d') == ['a="b c"', "d"]
    assert split_quoted("x\\ y z") == ["x\\ y", "z"]
