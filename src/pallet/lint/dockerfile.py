"""The Dockerfile rules (PL1xx), over the builder's own parser.

:func:`lint_dockerfile` parses the text with ``pallet.dockerfile.parser`` (the parser
``pallet build`` uses, so a line number here is the line a build error names), cuts it
into stages and runs each rule. ``dockerignore`` is the build context's ``.dockerignore``
text, or None when the context has none.
"""

from __future__ import annotations

from pallet.dockerfile.parser import Instruction, parse
from pallet.dockerfile.words import split_quoted
from pallet.lint.catalogue import RULES
from pallet.lint.model import Finding
from pallet.lint.runrules import check_run
from pallet.lint.secrets import why_secret
from pallet.lint.shellcmd import commands, script
from pallet.lint.stages import Stage, aliases_before, parent, shipped, split
from pallet.notation.dockerignore import Matcher

_ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst")
_ROOT = frozenset(("root", "0"))


def source_lines(text: str) -> list[str]:
    """The file's lines as the parser numbers them (only ``\n`` ends a line)."""
    return text.replace("\r\n", "\n").split("\n")


class _Out:
    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.lines = source_lines(text)
        self.found: list[Finding] = []

    def add(self, rule_id: str, inst: Instruction, message: str) -> None:
        rule = RULES[rule_id]
        line = self.lines[inst.line - 1] if inst.line <= len(self.lines) else ""
        col = len(line) - len(line.lstrip()) + 1
        self.found.append(Finding(rule.id, rule.severity, message or rule.title, rule.fix,
                                  self.name, inst.line, col))


def lint_dockerfile(text: str, name: str = "Dockerfile",
                    dockerignore: str | None = None) -> list[Finding]:
    df = parse(text, name)
    out = _Out(name, text)
    stages = split(df)
    if not stages:
        return []
    ship = shipped(stages)
    for inst in df.instructions:
        if inst.cmd in ("ARG", "ENV"):
            _secrets(out, inst, df.escape)
    for stage in stages:
        _base(out, stages, stage)
        _stage(out, stage, stage in ship, stage is stages[-1], dockerignore,
               _inherits_workdir(stages, stage))
    final = stages[-1]
    _user(out, stages, ship)
    if not any(s.all("HEALTHCHECK") for s in ship):
        out.add("PL113", final.start, "")
    labels = {k.lower() for s in ship for i in s.all("LABEL") for k in _keys(i, df.escape)}
    if not labels & {"version", "org.opencontainers.image.version"} or not labels & {
            "maintainer", "org.opencontainers.image.authors"}:
        out.add("PL115", final.start, "")
    seen: set[str] = set()
    for s in stages:
        if s.alias and s.alias in seen:
            out.add("PL124", s.start, f"stage alias {s.alias} defined twice")
        seen.add(s.alias)
    return out.found


def _base(out: _Out, stages: list[Stage], stage: Stage) -> None:
    ref = stage.base
    if not ref or "$" in ref or ref.lower() == "scratch":
        return
    if ref.lower() in aliases_before(stages, stage) or "@" in ref:
        return
    tag = ref.rsplit("/", 1)[-1].partition(":")[2]
    if not tag:
        out.add("PL101", stage.start, f"FROM {ref} has no tag")
    elif tag == "latest":
        out.add("PL102", stage.start, f"FROM {ref} uses latest")


def _stage(out: _Out, stage: Stage, ship: bool, final: bool, ignore: str | None,
           workdir: bool) -> None:
    """``workdir``: a WORKDIR was set in a stage this one is built FROM."""
    prev: Instruction | None = None
    for kind in ("CMD", "ENTRYPOINT"):
        found = stage.all(kind)
        for inst in found:
            if inst.json is None:
                out.add("PL104", inst, f"{kind} {inst.args} is in shell form")
        if len(found) > 1:
            out.add("PL123", found[-1], f"{len(found)} {kind} instructions in one stage")
    for inst in stage.body:
        if inst.cmd == "RUN":
            if prev is not None and prev.cmd == "RUN" and not prev.flags and not inst.flags:
                out.add("PL121", inst, "")
            text = script(inst)
            cmds = commands(text)
            mounts = " ".join(f for f in inst.flags if f.startswith("--mount"))
            for rule_id, message in dict(check_run(cmds, text, ship, final, mounts)).items():
                out.add(rule_id, inst, message)
        elif inst.cmd in ("COPY", "ADD"):
            _copy(out, inst, ignore)
            dest = (list(inst.json) if inst.json is not None else inst.args.split())[-1:]
            if inst.cmd == "COPY" and not workdir and dest and not dest[0].startswith(
                    ("/", "$")) and not inst.heredocs:
                out.add("PL126", inst, f"COPY to {dest[0]} before any WORKDIR")
        elif inst.cmd == "USER":
            user = inst.args.strip().partition(":")[0]
            if user and not user.isdigit() and "$" not in user:
                out.add("PL125", inst, f"USER {user} is a name")
        elif inst.cmd == "MAINTAINER":
            out.add("PL116", inst, "")
        elif inst.cmd == "WORKDIR":
            path = inst.args.strip().strip("\"'")
            if not path.startswith(("/", "$")) and not (len(path) > 1 and path[1] == ":"):
                out.add("PL117", inst, f"WORKDIR {path} is relative")
        if inst.cmd == "WORKDIR":
            workdir = True
        prev = inst


def _inherits_workdir(stages: list[Stage], stage: Stage) -> bool:
    s = parent(stages, stage)
    while s is not None:
        if s.all("WORKDIR"):
            return True
        s = parent(stages, s)
    return False


def _sources(inst: Instruction) -> list[str]:
    words = list(inst.json) if inst.json is not None else inst.args.split()
    return words[:-1]


def _copy(out: _Out, inst: Instruction, ignore: str | None) -> None:
    srcs = _sources(inst)
    if any(f.startswith("--from") for f in inst.flags):
        return
    if inst.cmd == "ADD" and not inst.heredocs and not any(
            "://" in s or s.startswith("git@") or s.endswith(_ARCHIVES) for s in srcs):
        out.add("PL114", inst, f"ADD {' '.join(srcs)} copies plain files")
    if any(s in (".", "./") for s in srcs):
        missing = ([".git", "node_modules"] if ignore is None else
                   [p for p in (".git", "node_modules") if not Matcher.from_text(ignore)
                    .excluded(p)])
        if missing:
            names = " and ".join(missing)
            why = (f"no .dockerignore excluding {names}" if ignore is None else
                   f".dockerignore does not exclude {names}")
            out.add("PL111", inst, f"{inst.cmd} . copies the whole context ({why})")


def _user(out: _Out, stages: list[Stage], ship: list[Stage]) -> None:
    for s in ship:
        last = s.last("USER")
        if last is not None:
            if last.args.strip().partition(":")[0] in _ROOT:
                out.add("PL103", last, "the last USER is root")
            return
    out.add("PL103", stages[-1].start, "no USER in the final stage: it runs as root")


def _keys(inst: Instruction, escape: str) -> list[str]:
    return [k for k, _ in _pairs(inst, escape)]


def _pairs(inst: Instruction, escape: str) -> list[tuple[str, str | None]]:
    """ENV/LABEL/ARG ``k=v`` words (or the legacy ``ENV k v``); ARG names may lack a value."""
    try:
        words = split_quoted(inst.args, escape)
    except ValueError:
        words = inst.args.split()
    if inst.cmd != "ARG" and words and "=" not in words[0]:
        key, _, value = inst.args.strip().partition(" ")
        return [(key, value.strip())]
    out: list[tuple[str, str | None]] = []
    for w in words:
        k, eq, v = w.partition("=")
        out.append((k, v.strip("\"'") if eq else None))
    return out


def _secrets(out: _Out, inst: Instruction, escape: str) -> None:
    for key, value in _pairs(inst, escape):
        why = why_secret(key, value)
        if why:
            out.add("PL112", inst, f"{inst.cmd} {key}: {why}")
