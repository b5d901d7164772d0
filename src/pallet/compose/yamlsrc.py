"""Compose YAML read the way Compose v2 reads it, with the line of every key kept.

Compose v2 parses YAML 1.2 (go-yaml v3): only ``true``/``false`` are booleans (``yes``,
``on`` and dates stay strings), ``~``/``null``/empty are null, ``<<`` merge keys and
anchors work, and the tags ``!reset`` and ``!override`` mark an override file's values.
PyYAML's SafeLoader speaks YAML 1.1, so :class:`_Loader` swaps its implicit resolvers for
YAML 1.2's core schema (parsing with libyaml when PyYAML has it). :func:`parse` returns
each document as plain data plus :class:`Marks`, the ``file:line`` of every path, which
errors use to say where they are.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from pallet.compose.errors import ComposeError

Path = tuple[str | int, ...]
MAX_NODES = 100_000  # alias expansion beyond this is refused (a "billion laughs" file)


class Reset:
    """``!reset``: the merged value is removed."""


class Override:
    """``!override VALUE``: the merged value is replaced, not merged."""

    def __init__(self, value: Any) -> None:
        self.value = value


def strip(value: Any) -> Any:
    """``value`` with ``!override`` markers unwrapped and ``!reset`` values dropped."""
    if isinstance(value, Override):
        return strip(value.value)
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if not isinstance(v, Reset)}
    if isinstance(value, list):
        return [strip(v) for v in value if not isinstance(v, Reset)]
    return value


class Marks:
    """``file:line`` of each path seen, across every file of the project."""

    def __init__(self) -> None:
        self.places: dict[Path, str] = {}

    def where(self, path: Path) -> str:
        """The place of ``path``, else of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            place = self.places.get(path[:end])
            if place is not None:
                return place
        return ""

    def add(self, other: Marks, prefix: Path = ()) -> None:
        for path, place in other.places.items():
            self.places[prefix + path] = place


_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when built


class _Loader(_Base):  # type: ignore[misc]
    """SafeLoader (on libyaml's parser when present) with YAML 1.2 core-schema scalars."""


_Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
     "-+0123456789"),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
):
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def _int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text, 16)
    digits = text.lstrip("+-")
    if len(digits) > 1 and digits.startswith("0") and set(digits) <= set("01234567"):
        return int(text[: len(text) - len(digits)] + digits, 8)  # go-yaml: "0440" is octal
    return int(text, 10)


def _float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).lower()
    if text.endswith("inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    return float(text)


def _bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    return str(loader.construct_scalar(node)).lower() == "true"


_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:float", _float)
_Loader.add_constructor("tag:yaml.org,2002:bool", _bool)


class _Builder:
    """Walks one document's node tree into plain data, recording each path's line."""

    def __init__(self, loader: _Loader, name: str, marks: Marks) -> None:
        self.loader = loader
        self.name = name
        self.marks = marks
        self.visits = 0
        self.merged: dict[int, int] = {}  # mapping node -> how many pairs came from ``<<``

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.visits += 1
        if self.visits > MAX_NODES:
            raise ComposeError("document too large: too many nodes (alias expansion?)",
                               self.place(node))
        self.marks.places.setdefault(path, self.place(node))
        tag = node.tag
        if tag == "!reset":
            return Reset()
        if tag == "!override":
            node.tag = self.loader.resolve(type(node), node.value, (True, False))
            return Override(self.build(node, path))
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if tag.startswith("!"):
            raise ComposeError(f"unknown tag {tag}", self.place(node))
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as err:
            raise ComposeError(f"invalid value: {err}", self.place(node)) from None

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        merged = self.merged.get(id(node))
        if merged is None:  # first visit (an alias visits the same node again)
            own = sum(1 for k, _v in node.value if k.tag != "tag:yaml.org,2002:merge")
            try:
                self.loader.flatten_mapping(node)
            except yaml.YAMLError as err:
                raise ComposeError(f"invalid merge key: {err}", self.place(node)) from None
            merged = self.merged[id(node)] = len(node.value) - own
        out: dict[str, Any] = {}
        # ``<<`` pairs come first after flattening; the mapping's own pairs override them
        seen: set[str] = set()
        for i, (key_node, value_node) in enumerate(node.value):
            if not isinstance(key_node, yaml.ScalarNode):
                raise ComposeError("mapping keys must be strings", self.place(key_node))
            key = self.loader.construct_object(key_node)
            if key is None or isinstance(key, bool | float):
                key = key_node.value
            key = str(key)
            if i >= merged:
                if key in seen:
                    raise ComposeError(f"mapping key {key!r} already defined",
                                       self.place(key_node))
                seen.add(key)
            self.marks.places[(*path, key)] = self.place(key_node)
            out[key] = self.build(value_node, (*path, key))
        return out

    def place(self, node: yaml.Node) -> str:
        return f"{self.name}:{node.start_mark.line + 1}"


def parse(text: str, name: str, marks: Marks) -> list[Any]:
    """The documents of ``text`` (named ``name`` in errors) as plain data."""
    loader = _Loader(text)
    try:
        docs: list[Any] = []
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            docs.append(_Builder(loader, name, marks).build(node, ()))
        return docs
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        raise ComposeError(f"yaml: {err.problem or err.context}", where) from None
    except yaml.YAMLError as err:
        raise ComposeError(f"yaml: {err}", name) from None
    finally:
        loader.dispose()
