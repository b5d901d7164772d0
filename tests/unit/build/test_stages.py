"""Stage planning: names, meta ARGs in FROM, dependencies and targets."""

from __future__ import annotations

import pytest

from pallet.build.stages import plan
from pallet.dockerfile.parser import ParseError, parse

DF = """\
ARG BASE=busybox
FROM ${BASE} AS deps
RUN echo deps
FROM busybox AS unused
RUN echo never
FROM deps AS build
RUN echo build
FROM busybox AS tools
FROM busybox
COPY --from=build /a /a
RUN --mount=type=bind,from=tools,target=/t true
"""


def test_plan_and_needed() -> None:
    p = plan(parse(DF), {"BASE": "debian"})
    assert [s.name for s in p.stages] == ["deps", "unused", "build", "tools", ""]
    assert p.stages[0].base == "debian"
    assert p.stages[2].deps == {0}
    assert p.stages[4].deps == {2, 3}
    assert [s.index for s in p.needed(p.stages[4])] == [0, 2, 3, 4]
    assert [s.index for s in p.needed(p.stages[1])] == [1]
    assert p.find("BUILD") is p.stages[2]
    assert p.find("4") is p.stages[4]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("RUN x\n", "Dockerfile:1: no build stage in current context"),
        ("ARG A\n", "has no FROM"),
        ("FROM a AS x\nFROM b AS x\n", "Dockerfile:2: duplicate stage name"),
        ("FROM a b\n", "Dockerfile:1: FROM requires either one or three arguments"),
        ("FROM a AS Bad/Name\n", "invalid name for build stage"),
    ],
)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        plan(parse(text), {})
