"""A RUN instruction's shell text as simple commands (word lists), for the rules to read.

Good enough for linting, not a shell: words are split shell-style, and ``&&``, ``||``,
``;``, ``|`` and ``&`` end a command. Heredoc bodies count as script text. An unbalanced
quote falls back to splitting on whitespace rather than failing the lint.
"""

from __future__ import annotations

import shlex

from pallet.dockerfile.parser import Instruction

_SEPARATORS = frozenset(("&&", "||", ";", "|", "&", ";;", "(", ")"))


def script(inst: Instruction) -> str:
    """The shell text a RUN runs (exec form joined, heredoc bodies appended)."""
    if inst.json is not None:
        return " ".join(shlex.quote(w) for w in inst.json)
    return "\n".join([inst.args, *(h.content for h in inst.heredocs)])


def commands(text: str) -> list[list[str]]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        tokens = list(lexer)
    except ValueError:
        tokens = text.replace("&&", " && ").replace(";", " ; ").split()
    out: list[list[str]] = [[]]
    for tok in tokens:
        if tok in _SEPARATORS or tok == "\n":
            if out[-1]:
                out.append([])
        else:
            out[-1].append(tok)
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
