"""A subset of Go's text/template, as ``--format`` uses it.

Supported: ``{{.A.B}}``, ``{{.}}``, ``{{json .}}``, ``{{json .Field}}``, method-style
calls (``{{.Label "k"}}``), ``{{index .Labels "k"}}``, ``{{range}}``/``{{if}}``/
``{{else}}``/``{{with}}``/``{{end}}``, ``{{range $k, $v := .M}}``, pipes, ``{{-``/``-}}``
trimming, and Docker's functions (json, join, split, lower, upper, title, truncate,
pad, println, printf, len, eq, ne, lt, le, gt, ge, not, and, or).

This module executes a parsed template on one object; parsing is in
:mod:`~pallet.cli.format.template_syntax`, values and functions in
:mod:`~pallet.cli.format.template_funcs`.
"""

from __future__ import annotations

from pallet.cli.format.template_funcs import FUNCS, MISSING, go_str, truthy
from pallet.cli.format.template_syntax import Node, TemplateError, parse

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Template", "TemplateError", "render"]


class _Scope:
    def __init__(self, dot: Any, root: Any, vars: dict[str, Any]) -> None:
        self.dot = dot
        self.root = root
        self.vars = vars


def _field(base: Any, path: str) -> Any:
    value = base
    for name in path.split(".")[1:]:
        if not name:
            continue
        if value is MISSING or value is None:
            return MISSING
        if isinstance(value, dict) and name in value:
            value = value[name]
        elif isinstance(value, dict) and type(value) is dict:
            value = MISSING
        else:
            value = getattr(value, name, MISSING)
    return value


def _operand(op: tuple[str, Any], scope: _Scope) -> Any:
    kind, value = op
    if kind == "lit":
        return value
    if kind == "pipe":
        return _pipeline(value, scope)
    if kind == "field":
        if value.startswith("$"):
            var, _, rest = value.partition(".")
            base = scope.vars.get(var, MISSING) if var != "$" else scope.root
            return _field(base, "." + rest) if rest else base
        if value == ".":
            return scope.dot
        return _field(scope.dot, value)
    if kind == "var":
        if value == "$":
            return scope.root
        if value not in scope.vars:
            raise TemplateError(f'undefined variable "{value}"')
        return scope.vars[value]
    if kind == "ident":
        if value not in FUNCS:
            raise TemplateError(f'function "{value}" not defined')
        return FUNCS[value]
    raise TemplateError(f"unexpected {value!r}")


def _command(cmd: list[Any], scope: _Scope, piped: Any = MISSING) -> Any:
    if not cmd:
        raise TemplateError("empty command")
    head = cmd[0]
    args = [_operand(op, scope) for op in cmd[1:]]
    if piped is not MISSING:
        args.append(piped)
    if head[0] == "ident":
        fn = _operand(head, scope)
        try:
            return fn(*args)
        except TemplateError:
            raise
        except Exception as e:
            raise TemplateError(f"error calling {head[1]}: {e}") from None
    value = _operand(head, scope)
    if callable(value):
        return value(*args)
    if args:
        raise TemplateError(f"can't give argument to non-function {head[1]}")
    return value


def _pipeline(pipe: list[Any], scope: _Scope) -> Any:
    value: Any = MISSING
    for i, cmd in enumerate(pipe):
        value = _command(cmd, scope) if i == 0 else _command(cmd, scope, value)
    return value


def _iterate(value: Any) -> list[tuple[Any, Any]]:
    if isinstance(value, dict):
        return [(k, value[k]) for k in sorted(value)]
    if isinstance(value, list | tuple):
        return list(enumerate(value))
    if value is None or value is MISSING:
        return []
    if isinstance(value, int):
        return [(i, i) for i in range(value)]
    raise TemplateError(f"range can't iterate over {go_str(value)}")


def _exec(nodes: list[Node], scope: _Scope, out: list[str]) -> None:
    for node in nodes:
        if node.kind == "text":
            out.append(node.text)
        elif node.kind == "action":
            value = _pipeline(node.pipe, scope)
            out.append(go_str(value) if not isinstance(value, str) else value)
        elif node.kind in ("if", "with"):
            value = _pipeline(node.pipe, scope)
            if truthy(value):
                dot = value if node.kind == "with" else scope.dot
                _exec(node.body, _Scope(dot, scope.root, dict(scope.vars)), out)
            else:
                _exec(node.orelse, scope, out)
        elif node.kind == "range":
            items = _iterate(_pipeline(node.pipe, scope))
            if not items:
                _exec(node.orelse, scope, out)
            for key, item in items:
                vars = dict(scope.vars)
                if len(node.decl) == 1:
                    vars[node.decl[0]] = item
                elif len(node.decl) == 2:
                    vars[node.decl[0]], vars[node.decl[1]] = key, item
                _exec(node.body, _Scope(item, scope.root, vars), out)


class Template:
    """A parsed template; ``render(obj)`` executes it on one object."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.nodes = parse(src)

    def render(self, obj: Any) -> str:
        out: list[str] = []
        _exec(self.nodes, _Scope(obj, obj, {"$": obj}), out)
        return "".join(out)


def render(src: str, obj: Any) -> str:
    return Template(src).render(obj)
