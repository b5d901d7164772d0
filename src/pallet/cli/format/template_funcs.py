"""Values in ``--format`` templates: Go's ``%v`` printing, truthiness, and Docker's functions.

``MISSING`` stands for a field or key that is not there (printed ``<no value>``).
"""

from __future__ import annotations

import json
import re

from pallet.cli.format.template_syntax import TemplateError

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

MISSING = object()


def go_str(value: Any) -> str:
    """Go's ``%v`` for decoded JSON values."""
    if value is MISSING or value is None:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, dict):
        items = " ".join(f"{k}:{go_str(v)}" for k, v in sorted(value.items()))
        return f"map[{items}]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(go_str(v) for v in value) + "]"
    return str(value)


def truthy(value: Any) -> bool:
    if value is MISSING or value is None:
        return False
    if isinstance(value, bool | int | float | str | list | dict | tuple):
        return bool(value)
    return True


def _json(value: Any) -> str:
    return json.dumps(None if value is MISSING else value, separators=(",", ":"),
                      ensure_ascii=False, default=str)  # fmt: skip


def _index(value: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(value, dict):
            value = value.get(key, MISSING)
        elif isinstance(value, list | tuple):
            value = value[int(key)]
        else:
            raise TemplateError(f"can't index item of type {type(value).__name__}")
    return value


def _truncate(s: Any, n: int) -> str:
    text = go_str(s)
    return text[:n]


def _printf(fmt: str, *args: Any) -> str:
    conv = re.sub(r"%[-+ #0-9.]*v", "%s", fmt)
    conv = re.sub(r"%q", "%s", conv)
    values = tuple(go_str(a) if not isinstance(a, int | float) else a for a in args)
    try:
        return conv % values
    except (TypeError, ValueError) as e:
        raise TemplateError(f"printf: {e}") from None


FUNCS: dict[str, Callable[..., Any]] = {
    "json": _json,
    "join": lambda items, sep: sep.join(go_str(i) for i in (items or [])),
    "split": lambda s, sep: str(s).split(sep),
    "lower": lambda s: go_str(s).lower(),
    "upper": lambda s: go_str(s).upper(),
    "title": lambda s: go_str(s).title(),
    "truncate": _truncate,
    "pad": lambda s, left, right: " " * int(left) + go_str(s) + " " * int(right),
    "println": lambda *a: " ".join(go_str(x) for x in a) + "\n",
    "print": lambda *a: "".join(go_str(x) for x in a),
    "printf": _printf,
    "len": lambda v: len(v) if v not in (None, MISSING) else 0,
    "index": _index,
    "eq": lambda a, *b: any(a == x for x in b),
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "not": lambda a: not truthy(a),
    "and": lambda *a: next((x for x in a if not truthy(x)), a[-1]),
    "or": lambda *a: next((x for x in a if truthy(x)), a[-1]),
}
