"""Split a Dockerfile into stages and pick the ones a target needs (pure).

ARGs before the first FROM are the global (meta) scope, visible in FROM lines;
a stage sees one only after redeclaring it (``ARG NAME``). A stage depends on
another through ``FROM <stage>``, ``COPY --from=<stage>`` and
``RUN --mount=...,from=<stage>``; stages the target does not need are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pallet.dockerfile.parser import Dockerfile, Instruction, ParseError
from pallet.dockerfile.words import expand, split_quoted

_STAGE_NAME = re.compile(r"^[a-z][a-z0-9_.-]*$")


@dataclass
class StagePlan:
    index: int
    name: str  # lower case; "" when unnamed
    base: str  # the FROM image text, expanded with the meta args
    platform: str
    from_inst: Instruction
    instructions: list[Instruction] = field(default_factory=list)
    deps: set[int] = field(default_factory=set)

    @property
    def ref(self) -> str:
        return self.name or str(self.index)


@dataclass
class Plan:
    meta: list[Instruction]
    stages: list[StagePlan]

    def find(self, ref: str) -> StagePlan | None:
        """A stage by name (case-insensitive) or index."""
        low = ref.lower()
        for s in self.stages:
            if s.name and s.name == low:
                return s
        if ref.isdigit() and int(ref) < len(self.stages):
            return self.stages[int(ref)]
        return None

    def stage_named(self, ref: str, before: int) -> StagePlan | None:
        """The stage a ``FROM`` names (by name only), among those before ``before``."""
        low = ref.lower()
        for s in self.stages[:before]:
            if s.name and s.name == low:
                return s
        return None

    def needed(self, target: StagePlan) -> list[StagePlan]:
        """``target`` and what it depends on, in Dockerfile order."""
        want: set[int] = set()
        todo = [target.index]
        while todo:
            i = todo.pop()
            if i in want:
                continue
            want.add(i)
            todo.extend(self.stages[i].deps)
        return [s for s in self.stages if s.index in want]


def _from_refs(inst: Instruction, meta: dict[str, str], escape: str) -> list[str]:
    refs: list[str] = []
    for raw in inst.flags:
        name, _, value = raw[2:].partition("=")
        if inst.cmd in ("COPY", "ADD") and name == "from":
            refs.append(expand(value, meta, escape))
        elif inst.cmd == "RUN" and name == "mount":
            for part in value.split(","):
                k, _, v = part.partition("=")
                if k.strip().lower() == "from":
                    refs.append(expand(v, meta, escape))
    return refs


def plan(df: Dockerfile, meta_args: dict[str, str]) -> Plan:
    """Stages of ``df``; ``meta_args`` are the global ARG values (defaults + build args)."""
    name = df.name
    meta: list[Instruction] = []
    stages: list[StagePlan] = []
    for inst in df.instructions:
        if inst.cmd == "FROM":
            words = split_quoted(inst.args, df.escape)
            flags = inst.flag_map(("platform",), f"{name}:")
            if len(words) not in (1, 3) or (len(words) == 3 and words[1].lower() != "as"):
                raise ParseError(
                    f"{name}:{inst.line}: FROM requires either one or three arguments"
                )
            stage_name = words[2].lower() if len(words) == 3 else ""
            if stage_name and not _STAGE_NAME.match(stage_name):
                raise ParseError(f"{name}:{inst.line}: invalid name for build stage: {words[2]!r}")
            if stage_name and any(s.name == stage_name for s in stages):
                raise ParseError(f"{name}:{inst.line}: duplicate stage name {stage_name!r}")
            base = expand(words[0], meta_args, df.escape)
            if not base:
                raise ParseError(f"{name}:{inst.line}: base name ({words[0]}) should not be blank")
            platform = expand(flags.get("platform", [""])[-1], meta_args, df.escape)
            stages.append(StagePlan(len(stages), stage_name, base, platform, inst))
            continue
        if not stages:
            if inst.cmd != "ARG":
                raise ParseError(
                    f"{name}:{inst.line}: no build stage in current context"
                    f" ({inst.cmd} before the first FROM)"
                )
            meta.append(inst)
            continue
        stages[-1].instructions.append(inst)
    if not stages:
        raise ParseError(f"{name}: the Dockerfile has no FROM instruction")
    p = Plan(meta, stages)
    for s in stages:
        dep = p.stage_named(s.base, before=s.index)
        if dep is not None:
            s.deps.add(dep.index)
        for inst in s.instructions:
            for ref in _from_refs(inst, meta_args, df.escape):
                d = p.find(ref)
                if d is not None and d.index < s.index:
                    s.deps.add(d.index)
    return p
