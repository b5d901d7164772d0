"""A parsed Dockerfile cut into stages, with what the rules ask of them.

A stage is a ``FROM`` and the instructions up to the next one; its base is an image
reference or an earlier stage's alias. The *shipped* stages are the final stage and the
stages it is built ``FROM`` (their layers end up in the image); builder stages that are
only copied from are not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pallet.dockerfile.parser import Dockerfile, Instruction


@dataclass
class Stage:
    index: int
    start: Instruction  # the FROM
    base: str
    alias: str = ""
    body: list[Instruction] = field(default_factory=list)

    def all(self, cmd: str) -> list[Instruction]:
        return [i for i in self.body if i.cmd == cmd]

    def last(self, cmd: str) -> Instruction | None:
        found = self.all(cmd)
        return found[-1] if found else None


def split(df: Dockerfile) -> list[Stage]:
    stages: list[Stage] = []
    for inst in df.instructions:
        if inst.cmd == "FROM":
            words = [w for w in inst.args.split() if w]
            base = words[0] if words else ""
            alias = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else ""
            stages.append(Stage(len(stages), inst, base, alias))
        elif stages:
            stages[-1].body.append(inst)
    return stages


def parent(stages: list[Stage], stage: Stage) -> Stage | None:
    """The earlier stage ``stage`` is built FROM, if its base names one."""
    for s in stages[: stage.index]:
        if s.alias and s.alias == stage.base.lower():
            return s
    return None


def shipped(stages: list[Stage]) -> list[Stage]:
    """The final stage, then its parents (nearest first)."""
    out: list[Stage] = []
    s: Stage | None = stages[-1] if stages else None
    while s is not None and s not in out:
        out.append(s)
        s = parent(stages, s)
    return out


def aliases_before(stages: list[Stage], stage: Stage) -> set[str]:
    return {s.alias for s in stages[: stage.index] if s.alias}
