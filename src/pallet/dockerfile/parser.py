"""Dockerfile text -> instructions (pure).

Handles parser directives (``# syntax=``, ``# escape=``, ``# check=``) before the
first instruction, comments, line continuations (the escape character at the end
of a line; comment and empty lines inside a continuation are dropped), JSON
(exec) versus shell form, ``--flag=value`` words after the instruction name,
heredocs (``<<EOF``, ``<<-EOF``, ``<<"EOF"``) for RUN, COPY and ADD, and
``ONBUILD`` with its nested instruction. Variables are not expanded here: that
depends on the build state (see ``words`` and the executor).

Errors name the file and line: ``Dockerfile:3: unknown instruction: FRM``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from pallet.dockerfile.words import split_quoted
from pallet.errors import InvalidArgument

INSTRUCTIONS = frozenset(
    "ADD ARG CMD COPY ENTRYPOINT ENV EXPOSE FROM HEALTHCHECK LABEL MAINTAINER ONBUILD RUN "
    "SHELL STOPSIGNAL USER VOLUME WORKDIR".split()
)
JSON_FORMS = frozenset("ADD CMD COPY ENTRYPOINT RUN SHELL VOLUME HEALTHCHECK".split())
HEREDOC_FORMS = frozenset(("ADD", "COPY", "RUN"))
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$")
_HEREDOC = re.compile(r"^<<(-?)(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2(.*)$")
_KNOWN_DIRECTIVES = ("syntax", "escape", "check")


class ParseError(InvalidArgument):
    """A Dockerfile that cannot be parsed; the message names file:line."""


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str  # with its final newline
    expand: bool  # False when the name was quoted
    strip_tabs: bool = False


@dataclass(frozen=True)
class Instruction:
    cmd: str  # upper case: RUN, COPY, ...
    line: int  # first line (1-based)
    end_line: int
    original: str  # the logical line, continuations joined (what "Step N/M" shows)
    flags: tuple[str, ...] = ()  # raw ``--name=value`` words, unexpanded
    args: str = ""  # the text after the flags, unexpanded
    json: tuple[str, ...] | None = None  # exec form
    heredocs: tuple[Heredoc, ...] = ()
    sub: Instruction | None = None  # ONBUILD's instruction

    def flag_map(self, allowed: tuple[str, ...], where: str = "") -> dict[str, list[str]]:
        """``{"from": ["build"], ...}`` from the flags; unknown flags raise."""
        out: dict[str, list[str]] = {}
        for raw in self.flags:
            name, eq, value = raw[2:].partition("=")
            if name not in allowed:
                raise ParseError(f"{where}{self.line}: unknown flag: --{name}")
            out.setdefault(name, []).append(value if eq else "true")
        return out


@dataclass
class Dockerfile:
    instructions: list[Instruction]
    directives: dict[str, str] = field(default_factory=dict)
    escape: str = "\\"
    name: str = "Dockerfile"


def _directives(lines: list[str], name: str) -> tuple[dict[str, str], int]:
    """Leading parser directives and the index of the first line after them."""
    found: dict[str, str] = {}
    for i, line in enumerate(lines):
        m = _DIRECTIVE.match(line.strip()) if line.strip().startswith("#") else None
        if not m or m.group(1).lower() not in _KNOWN_DIRECTIVES:
            return found, i
        key = m.group(1).lower()
        if key in found:
            raise ParseError(f"{name}:{i + 1}: only one {key} parser directive can be used")
        found[key] = m.group(2)
    return found, len(lines)


def _continues(line: str, escape: str) -> bool:
    stripped = line.rstrip(" \t")
    if not stripped.endswith(escape):
        return False
    # an escaped escape at the end ("\\") does not continue
    n = len(stripped) - len(stripped.rstrip(escape))
    return n % 2 == 1


def _split_flags(rest: str, escape: str) -> tuple[tuple[str, ...], str]:
    flags: list[str] = []
    text = rest
    while True:
        text = text.lstrip()
        if not text.startswith("--"):
            break
        m = re.match(r"\S+", text)
        assert m is not None
        word = m.group(0)
        # a flag value may contain quoted spaces: re-split quote-aware
        quoted = split_quoted(text, escape)[0] if ('"' in word or "'" in word) else word
        if quoted == "--":
            text = text[2:]
            break
        flags.append(_unquote_flag(quoted))
        text = text[len(quoted) :]
    return tuple(flags), text.strip()


def _unquote_flag(word: str) -> str:
    name, eq, value = word.partition("=")
    if eq and len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return name + eq + value


def _json_form(args: str) -> tuple[str, ...] | None:
    if not args.startswith("["):
        return None
    try:
        value = json.loads(args)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return tuple(value)
    return None


def _heredoc_markers(args: str, escape: str) -> list[tuple[str, bool, bool]]:
    """(name, expand, strip_tabs) of each unquoted ``<<WORD`` in ``args``."""
    out = []
    for word in split_quoted(args, escape):
        idx = word.find("<<")
        if idx < 0 or word.startswith(("'", '"')):
            continue
        m = _HEREDOC.match(word[idx:])
        if m:
            out.append((m.group(3), m.group(2) == "", m.group(1) == "-"))
    return out


class _Reader:
    def __init__(self, text: str, name: str) -> None:
        self.lines = text.replace("\r\n", "\n").split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.name = name

    def error(self, line: int, message: str) -> ParseError:
        return ParseError(f"{self.name}:{line}: {message}")


def parse(text: str, name: str = "Dockerfile") -> Dockerfile:
    """Parse a Dockerfile; raises :class:`ParseError` naming ``name:line``."""
    if text.startswith("\ufeff"):
        text = text[1:]
    r = _Reader(text, name)
    directives, i = _directives(r.lines, name)
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise ParseError(f"{name}:1: invalid escape token '{escape}' does not match ` or \\")
    out: list[Instruction] = []
    lines = r.lines
    while i < len(lines):
        raw = lines[i]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        start = i
        parts: list[str] = []
        line = raw
        while True:
            if _continues(line, escape):
                body = line.rstrip(" \t")
                parts.append(body[: -len(escape)])
                i += 1
                # comments and empty lines inside a continuation are skipped
                while i < len(lines) and (
                    not lines[i].strip() or lines[i].strip().startswith("#")
                ):
                    i += 1
                if i >= len(lines):
                    break
                line = lines[i]
                continue
            parts.append(line)
            i += 1
            break
        logical = "".join(parts).strip()
        if not logical:  # a lone continuation: nothing to parse
            continue
        inst, i = _instruction(r, logical, start + 1, i, escape)
        out.append(inst)
    return Dockerfile(out, directives, escape, name)


def _instruction(
    r: _Reader, logical: str, line: int, i: int, escape: str
) -> tuple[Instruction, int]:
    m = re.match(r"(\S+)\s*(.*)$", logical, re.S)
    assert m is not None
    word, rest = m.group(1), m.group(2)
    cmd = word.upper()
    if cmd not in INSTRUCTIONS:
        raise r.error(line, f"unknown instruction: {word}")
    if cmd == "ONBUILD":
        if not rest.strip():
            raise r.error(line, "ONBUILD requires at least one argument")
        sub, i = _instruction(r, rest.strip(), line, i, escape)
        if sub.cmd in ("ONBUILD", "FROM", "MAINTAINER"):
            raise r.error(line, f"{sub.cmd} isn't allowed as an ONBUILD trigger")
        return Instruction(cmd, line, sub.end_line, logical, args=rest.strip(), sub=sub), i
    flags, args = _split_flags(rest, escape)
    form = _json_form(args) if cmd in JSON_FORMS else None
    heredocs: list[Heredoc] = []
    if cmd in HEREDOC_FORMS and form is None and "<<" in args:
        for hname, do_expand, strip in _heredoc_markers(args, escape):
            body: list[str] = []
            while True:
                if i >= len(r.lines):
                    raise r.error(line, f"unterminated heredoc {hname}")
                text = r.lines[i]
                i += 1
                check = text.lstrip("\t") if strip else text
                if check == hname:
                    break
                body.append(check)
            content = "".join(x + "\n" for x in body)
            heredocs.append(Heredoc(hname, content, do_expand, strip))
    return Instruction(cmd, line, max(i, line), logical, flags, args, form, tuple(heredocs)), i


def parse_line(text: str, name: str = "ONBUILD", escape: str = "\\") -> Instruction:
    """One instruction (an ONBUILD trigger stored in an image config)."""
    df = parse(text if escape == "\\" else f"# escape={escape}\n{text}", name)
    if len(df.instructions) != 1:
        raise ParseError(f"{name}: expected one instruction, got {len(df.instructions)}")
    return df.instructions[0]
