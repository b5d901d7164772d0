"""A RUN instruction's shell text as simple commands (word lists), for the rules to read.

Good enough for linting, not a shell: words are split shell-style (quotes and backslashes
removed), and ``&&``, ``||``, ``;``, ``|``, ``&`` and parentheses end a command. Heredoc
bodies count as script text. An unbalanced quote is skipped rather than failing the lint.
One regular expression does the splitting (``shlex`` costs ten times more on a long file).
"""

from __future__ import annotations

import re
import shlex

from pallet.dockerfile.parser import Instruction

_TOKEN = re.compile(r"[ \t]*(?:(&&|\|\||;;|[;|&()\n])|"
                    r"((?:[^\s'\"\\;&|()]|\\.|'[^']*'|\"(?:[^\"\\]|\\.)*\")+))")
_QUOTED = re.compile(r"\\(.)|'([^']*)'|\"((?:[^\"\\]|\\.)*)\"")


def script(inst: Instruction) -> str:
    """The shell text a RUN runs (exec form joined, heredoc bodies appended)."""
    if inst.json is not None:
        return " ".join(shlex.quote(w) for w in inst.json)
    return "\n".join([inst.args, *(h.content for h in inst.heredocs)])


def _unquote(word: str) -> str:
    if "'" not in word and '"' not in word and "\\" not in word:
        return word
    return _QUOTED.sub(lambda m: m.group(1) or m.group(2) or
                       re.sub(r"\\(.)", r"\1", m.group(3) or ""), word)


def commands(text: str) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for m in _TOKEN.finditer(text):
        op, word = m.group(1), m.group(2)
        if op:
            if out[-1]:
                out.append([])
        elif word:
            out[-1].append(_unquote(word))
    return [c for c in out if c]


def program(cmd: list[str]) -> tuple[str, list[str]]:
    """The program and its arguments, past ``sudo``/``env``/``VAR=x`` prefixes."""
    i = 0
    while i < len(cmd) and ("=" in cmd[i] and not cmd[i].startswith("-")):
        i += 1
    if i < len(cmd) and cmd[i] in ("sudo", "env", "exec", "nice", "time"):
        i += 1
        while i < len(cmd) and (cmd[i].startswith("-") or "=" in cmd[i]):
            i += 1
    if i >= len(cmd):
        return "", []
    return cmd[i].rsplit("/", 1)[-1], cmd[i + 1 :]


def packages(args: list[str], sub: str) -> list[str]:
    """The package words after subcommand ``sub`` (``install``, ``add``), flags left out."""
    if sub not in args:
        return []
    rest = args[args.index(sub) + 1 :]
    return [a for a in rest if not a.startswith("-")]
