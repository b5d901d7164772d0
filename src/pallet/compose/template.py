"""Variable substitution in one string, with Compose v2's grammar and edge cases.

``$$`` is a literal ``$``; ``$NAME`` and ``${NAME}`` substitute (unset: empty, with a
warning); ``${NAME:-d}``/``${NAME-d}`` default when unset-or-empty/unset; ``${NAME:+x}``/
``${NAME+x}`` replace when set-and-non-empty/set; ``${NAME:?msg}``/``${NAME?msg}`` fail when
unset-or-empty/unset. Defaults, replacements and messages are substituted in turn, so they
nest (``${A:-${B:-c}}``). Names are ``[_a-zA-Z][_a-zA-Z0-9]*``; a ``$`` before anything else
stays as is, but ``${`` that does not open a valid expression is an error. As in Compose v2,
an expression with an operator extends to the last ``}`` of its line and is then cut at its
balanced closing brace; what follows is substituted after it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pallet.compose.errors import ComposeError

Lookup = Callable[[str], str | None]
_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_OPS = (":?", ":-", ":+", "?", "-", "+")


class MissingVariable(ComposeError):
    """``${NAME:?message}`` with NAME unset (or empty)."""


class InvalidTemplate(ComposeError):
    """``${`` that opens no valid expression."""


def substitute(text: str, lookup: Lookup, missing: list[str] | None = None) -> str:
    """``text`` with its variables replaced; unset names go to ``missing`` (for warnings)."""
    if "$" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = text.find("$", i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        i = j + 1
        if i >= n:
            out.append("$")
            break
        c = text[i]
        if c == "$":
            out.append("$")
            i += 1
        elif c == "{":
            value, i = _braced(text, j, lookup, missing)
            out.append(value)
        else:
            m = _NAME.match(text, i)
            if m is None:
                out.append("$")
                continue
            out.append(_get(m.group(), lookup, missing))
            i = m.end()
    return "".join(out)


def _get(name: str, lookup: Lookup, missing: list[str] | None) -> str:
    value = lookup(name)
    if value is None:
        if missing is not None:
            missing.append(name)
        return ""
    return value


def _braced(text: str, start: int, lookup: Lookup, missing: list[str] | None) -> tuple[str, int]:
    """Substitute the ``${...}`` at ``start``; returns the value and where scanning resumes."""
    m = _NAME.match(text, start + 2)
    if m is None:
        raise InvalidTemplate(f'invalid interpolation format: "{text}"')
    name, k = m.group(), m.end()
    if text.startswith("}", k):
        return _get(name, lookup, missing), k + 1
    op = next((o for o in _OPS if text.startswith(o, k)), "")
    line_end = text.find("\n", k)
    line_end = len(text) if line_end < 0 else line_end
    last = text.rfind("}", k, line_end)
    if not op or last < 0:
        raise InvalidTemplate(f'invalid interpolation format: "{text}"')
    close = _closing(text, start, last)
    arg = text[k + len(op):close]
    value = _apply(name, op, arg, lookup, missing)
    rest = substitute(text[close + 1:last + 1], lookup, missing)
    return value + rest, last + 1


def _closing(text: str, start: int, last: int) -> int:
    """The balanced ``}`` of the ``${`` at ``start`` (``last`` when there is none)."""
    depth, i = 0, start
    while i <= last:
        c = text[i]
        if c == "}":
            depth -= 1
            if depth == 0:
                return i
        elif c == "{":
            depth += 1
            i += 1
        i += 1
    return last


def _apply(name: str, op: str, arg: str, lookup: Lookup, missing: list[str] | None) -> str:
    value = lookup(name)
    empty_counts = op.startswith(":")
    kind = op[-1]
    if kind == "-":
        if value is None or (empty_counts and value == ""):
            return substitute(arg, lookup, missing)
        return value
    if kind == "+":
        if value is not None and not (empty_counts and value == ""):
            return substitute(arg, lookup, missing)
        return value or ""
    if value is None or (empty_counts and value == ""):
        reason = substitute(arg, lookup, missing)
        detail = f": {reason}" if reason else ""
        raise MissingVariable(f"required variable {name} is missing a value{detail}")
    return value
