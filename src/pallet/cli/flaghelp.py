"""``--help`` text for :mod:`pallet.cli.flags` commands and groups, laid out like
the docker CLI's (usage line, description, Options/Commands columns). Imported
only when help is asked for."""

from __future__ import annotations

import os
import textwrap

from pallet.cli.flagparse import Flag
from pallet.cli.flags import Command, Group

WIDTH = 100


def _width() -> int:
    try:
        return max(60, min(WIDTH, os.get_terminal_size().columns))
    except OSError:
        return WIDTH


def _left(flag: Flag) -> str:
    short = f"-{flag.short}, " if flag.short else "    "
    text = (short + f"--{flag.longs[0]}") if flag.longs else f"-{flag.short}"
    if flag.kind != "bool":
        kind = flag.metavar or ("int" if flag.kind == "int" else "string")
        text += " " + ("list" if flag.multiple and not flag.metavar else kind)
    return text


def _right(flag: Flag) -> str:
    text = flag.help
    default = flag.default
    if flag.kind == "bool" and default is True:
        text += " (default true)"
    elif flag.kind == "str" and isinstance(default, str) and default:
        text += f' (default "{default}")'
    elif flag.kind == "int" and isinstance(default, int) and default not in (0,):
        text += f" (default {default})"
    return text


def _columns(rows: list[tuple[str, str]], indent: int = 2) -> list[str]:
    pad = max((len(a) for a, _ in rows), default=0) + 3
    width = max(20, _width() - indent - pad)
    out = []
    for left, right in rows:
        lines = textwrap.wrap(right, width) or [""]
        out.append(" " * indent + left.ljust(pad) + lines[0])
        out += [" " * (indent + pad) + line for line in lines[1:]]
    return [line.rstrip() for line in out]


def options_block(flags: list[Flag]) -> list[str]:
    shown = sorted((f for f in flags if not f.hidden), key=lambda f: (f.longs or [f.short])[0])
    if not shown:
        return []
    return ["", "Options:", *_columns([(_left(f), _right(f)) for f in shown])]


def command_help(cmd: Command, path: str) -> str:
    lines = [f"Usage:  {cmd.spec.usage(path)}", "", cmd.help or path]
    lines += options_block(cmd.spec.flags)
    return "\n".join(lines) + "\n"


def group_help(group: Group, path: str) -> str:
    opts = "[OPTIONS] " if any(not f.hidden for f in group.spec.flags) else ""
    lines = [f"Usage:  {path} {opts}COMMAND", "", group.help]
    names = sorted(group.table)
    rows = [(name, group.table[name][2]) for name in names]
    lines += ["", "Commands:", *_columns(rows)]
    lines += options_block(group.spec.flags)
    lines += ["", f"Run '{path} COMMAND --help' for more information on a command."]
    return "\n".join(lines) + "\n"
