"""A subset of Go's text/template, as ``--format`` uses it.

Supported: ``{{.A.B}}``, ``{{.}}``, ``{{json .}}``, ``{{json .Field}}``, method-style
calls (``{{.Label "k"}}``), ``{{index .Labels "k"}}``, ``{{range}}``/``{{if}}``/
``{{else}}``/``{{with}}``/``{{end}}``, ``{{range $k, $v := .M}}``, pipes, ``{{-``/``-}}``
trimming, and Docker's functions (json, join, split, lower, upper, title, truncate,
pad, println, printf, len, eq, ne, lt, le, gt, ge, not, and, or).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<raw>`[^`]*`)
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<field>(?:\$[A-Za-z0-9_]*)?(?:\.[A-Za-z0-9_]+)+|\.)
    | (?P<var>\$[A-Za-z0-9_]*)
    | (?P<decl>:=)
    | (?P<punct>[|(),])
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.X,
)


class TemplateError(Exception):
    """A template that cannot be parsed or executed."""


MISSING = object()


class Node:
    """One parsed piece: ``kind`` is text, action, if, range or with."""

    __slots__ = ("body", "decl", "kind", "orelse", "pipe", "text")

    def __init__(self, kind: str, text: str = "", pipe: list[Any] | None = None,
                 decl: list[str] | None = None) -> None:
        self.kind = kind
        self.text = text
        self.pipe: list[Any] = pipe if pipe is not None else []
        self.body: list[Node] = []
        self.orelse: list[Node] = []
        self.decl: list[str] = decl if decl is not None else []

    def __repr__(self) -> str:
        return f"Node({self.kind!r}, text={self.text!r}, pipe={self.pipe!r})"


def _tokens(src: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    src = src.strip()
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m or m.end() == pos:
            raise TemplateError(f"unexpected {src[pos:]!r} in action")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(src) and src[pos].isspace():
            pos += 1
    return out


def _parse_pipe(tokens: list[tuple[str, str]]) -> list[Any]:
    """A pipeline: list of commands; a command is a list of operands."""
    pipe: list[Any] = []
    cmd: list[Any] = []
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "punct" and value == "|":
            pipe.append(cmd)
            cmd = []
        elif kind == "punct" and value == "(":
            depth, j = 1, i + 1
            while j < len(tokens) and depth:
                if tokens[j] == ("punct", "("):
                    depth += 1
                elif tokens[j] == ("punct", ")"):
                    depth -= 1
                j += 1
            cmd.append(("pipe", _parse_pipe(tokens[i + 1 : j - 1])))
            i = j
            continue
        elif kind == "str":
            cmd.append(("lit", json.loads(value)))
        elif kind == "raw":
            cmd.append(("lit", value[1:-1]))
        elif kind == "num":
            cmd.append(("lit", float(value) if "." in value else int(value)))
        elif kind == "ident" and value in ("true", "false", "nil"):
            cmd.append(("lit", {"true": True, "false": False, "nil": None}[value]))
        else:
            cmd.append((kind, value))
        i += 1
    pipe.append(cmd)
    return pipe


def parse(src: str) -> list[Node]:
    """Parse a template into nodes."""
    root: list[Node] = []
    stack: list[tuple[Node | None, list[Node]]] = [(None, root)]
    pos = 0
    pending_trim = False
    for m in _ACTION.finditer(src):
        text = src[pos : m.start()]
        if pending_trim:
            text = text.lstrip()
        if m.group(1):
            text = text.rstrip()
        if text:
            stack[-1][1].append(Node("text", text=text))
        pos = m.end()
        pending_trim = bool(m.group(3))
        body = m.group(2).strip()
        if body.startswith("/*"):
            continue
        word, _, rest = body.partition(" ")
        if word in ("if", "range", "with"):
            tokens = _tokens(rest)
            decl: list[str] = []
            if any(k == "decl" for k, _ in tokens):
                idx = next(i for i, (k, _) in enumerate(tokens) if k == "decl")
                decl = [v for k, v in tokens[:idx] if k == "var"]
                tokens = tokens[idx + 1 :]
            node = Node(word, pipe=_parse_pipe(tokens), decl=decl)
            stack[-1][1].append(node)
            stack.append((node, node.body))
        elif word == "else":
            owner = stack[-1][0]
            if owner is None:
                raise TemplateError("unexpected {{else}}")
            stack[-1] = (owner, owner.orelse)
            if rest.strip():  # else if ...
                sub_word, _, sub_rest = rest.strip().partition(" ")
                if sub_word != "if":
                    raise TemplateError(f"unexpected else {sub_word}")
                node = Node("if", pipe=_parse_pipe(_tokens(sub_rest)))
                owner.orelse.append(node)
                # the nested if shares the outer end
                stack[-1] = (node, node.body)
                node.text = "chained"
        elif word == "end":
            if len(stack) == 1:
                raise TemplateError("unexpected {{end}}")
            stack.pop()
            while len(stack) > 1 and stack[-1][0] is not None and stack[-1][0].text == "chained":
                stack.pop()
        else:
            stack[-1][1].append(Node("action", pipe=_parse_pipe(_tokens(body))))
    tail = src[pos:]
    if "{{" in tail:
        raise TemplateError("unclosed action")
    if pending_trim:
        tail = tail.lstrip()
    if tail:
        stack[-1][1].append(Node("text", text=tail))
    if len(stack) != 1:
        raise TemplateError("unexpected EOF: missing {{end}}")
    return root


# evaluation ------------------------------------------------------------------


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
