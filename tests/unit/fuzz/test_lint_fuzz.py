"""Fuzzing pallet lint's Dockerfile rules: whatever the file holds, the linter answers
findings with places inside the file, or fails with one of pallet's error kinds (a parse
error), never an IndexError, KeyError, ... The words are the parser fuzzer's, plus the
commands and instructions the rules read."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pallet.errors import PalletError
from pallet.lint.dockerfile import lint_dockerfile

WORDS = ["FROM", "RUN", "CMD", "COPY", "ADD", "ENV", "ARG", "LABEL", "WORKDIR", "USER",
         "ENTRYPOINT", "HEALTHCHECK", "ONBUILD", "MAINTAINER", "AS", "node", "scratch",
         "base", "node:latest", "x@sha256:1", "--from=base", "--chown=1:1", "apt-get",
         "install", "-y", "apk", "add", "npm", "ci", "i", "pip", "yarn", "sudo", "cd", "&&",
         "||", ";", "|", "(", ")", "'", '"', "\\", ".", "./", "root", "0:0", "PASSWORD=x",
         "TOKEN", "=", "a=b", "<<EOF", "EOF", '["sh", "-c"]', "[]", "$A", "#", "\t", "é"]
LINE = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=5)), max_size=8).map(
    " ".join)
DOCKERFILE = st.lists(LINE, max_size=12).map("\n".join)


def _lint(text: str, ignore: str | None) -> None:
    try:
        found = lint_dockerfile(text, "Dockerfile", ignore)
    except PalletError:
        return
    lines = max(1, len(text.splitlines()))
    for f in found:
        assert 1 <= f.line <= lines and f.col >= 1, f


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCKERFILE, st.sampled_from([None, "", ".git\nnode_modules\n", "!x\n["]))
def test_structured_dockerfiles(text: str, ignore: str | None) -> None:
    _lint(text, ignore)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    _lint(text, None)
