"""Fuzzing the Dockerfile parser and stage planner: whatever the file holds, it parses and
plans, or fails with one of pallet's error kinds (never an IndexError, KeyError, ...)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pallet.build.stages import plan
from pallet.dockerfile.parser import parse
from pallet.errors import PalletError

WORDS = ["FROM", "RUN", "CMD", "COPY", "ADD", "ENV", "ARG", "LABEL", "EXPOSE", "VOLUME",
         "WORKDIR", "USER", "ENTRYPOINT", "SHELL", "HEALTHCHECK", "ONBUILD", "STOPSIGNAL",
         "MAINTAINER", "AS", "busybox", "scratch", "base", "--from=base", "--chown=1:1",
         "--mount=type=cache,target=/c", "--platform=$BUILDPLATFORM", "${A:-x}", "$A",
         '["sh", "-c", "x"]', '["a"', "<<EOF", "<<-EOT", "EOF", "EOT", "\\", "`", "#",
         "# syntax=docker/dockerfile:1", "# escape=`", "a=b", "=", '"q', "'", "--interval=0s",
         "NONE", "CMD", "80/tcp", "1-2", "/app", "..", ":", "\t", "é", "\x00"]
LINE = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=6)), min_size=0,
                max_size=7).map(" ".join)
DOCKERFILE = st.lists(LINE, max_size=12).map("\n".join)


def _parse_and_plan(text: str) -> None:
    try:
        df = parse(text)
        plan(df, {"A": "1"})
    except PalletError:
        pass


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCKERFILE)
def test_structured_dockerfiles(text: str) -> None:
    _parse_and_plan(text)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    _parse_and_plan(text)
