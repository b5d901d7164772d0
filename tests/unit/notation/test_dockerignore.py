""".dockerignore matching with Docker's rules."""

from __future__ import annotations

import pytest

from pallet.notation.dockerignore import Matcher


@pytest.mark.parametrize(
    ("patterns", "path", "excluded"),
    [
        ("*.log", "a.log", True),
        ("*.log", "dir/a.log", False),
        ("**/*.log", "dir/sub/a.log", True),
        ("**/*.log", "a.log", True),
        ("node_modules", "node_modules/x/y.js", True),
        ("/secret.txt", "secret.txt", True),
        ("./build", "build/out", True),
        ("*.md\n!README.md", "README.md", False),
        ("*.md\n!README.md", "CHANGES.md", True),
        ("!README.md\n*.md", "README.md", True),  # order matters: the last match wins
        ("docs/**\n!docs/keep/**", "docs/keep/a", False),
        ("docs/**\n!docs/keep/**", "docs/drop/a", True),
        ("# comment\n\n  tmp  ", "tmp", True),
        ("a?c", "abc", True),
        ("a?c", "a/c", False),
        ("[a-c].txt", "b.txt", True),
        ("[!a-c].txt", "b.txt", False),
        ("dir/*", "dir/x", True),
        ("dir/*", "dir", False),
        ("**", "anything/at/all", True),
    ],
)
def test_matching(patterns: str, path: str, excluded: bool) -> None:
    assert Matcher.from_text(patterns).excluded(path) is excluded


def test_reinclusion_below_excluded_dir() -> None:
    m = Matcher.from_text("docs\n!docs/keep.md\n")
    assert m.excluded("docs")
    assert m.may_include_below("docs")
    assert not m.excluded("docs/keep.md")
    assert not Matcher.from_text("docs\n").may_include_below("docs")
