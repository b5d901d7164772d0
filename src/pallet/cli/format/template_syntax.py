"""Parsing for ``--format`` templates: Go text/template source into a tree of :class:`Node`.

An action's pipeline is a list of commands; a command is a list of ``(kind, value)``
operands (``lit``, ``field``, ``var``, ``ident``, or a parenthesised ``pipe``).
Execution is in :mod:`pallet.cli.format.template`.
"""

from __future__ import annotations

import json
import re

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
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
