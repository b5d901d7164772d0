"""JSON request bodies read the way Go's ``encoding/json`` reads them into dockerd's structs.

dockerd decodes bodies with Go's rules, and clients rely on two of them: a key matches a field
whatever its case (docker-py sends ``detachKeys`` in an exec body), and ``null`` for a field
that cannot hold it (docker-py's ``Healthcheck`` sends ``"StartPeriod": null``) leaves the
field at its default (a ``null`` value in a map of structs is the empty struct). :func:`fold`
rewrites a decoded JSON value to the exact field names of a msgspec type and drops such nulls,
so ``msgspec.convert`` then applies the usual validation. An exact key wins over one that only
matches without case; unknown keys are dropped, as Go ignores them.
"""

from __future__ import annotations

import functools
from typing import Any

import msgspec
import msgspec.inspect as mi


@functools.lru_cache(maxsize=256)
def _info(into: Any) -> mi.Type:
    return mi.type_info(into)


def _nullable(t: mi.Type) -> bool:
    if isinstance(t, mi.UnionType):
        return any(_nullable(x) for x in t.types)
    return isinstance(t, mi.NoneType | mi.AnyType)


def _pick(value: Any, t: mi.UnionType) -> mi.Type:
    """The member of a union a JSON value is meant for (objects for structs, arrays for lists)."""
    for member in t.types:
        if isinstance(value, dict) and isinstance(member, mi.StructType | mi.DictType):
            return member
        if isinstance(value, list) and isinstance(member, mi.ListType | mi.VarTupleType):
            return member
    return mi.AnyType()


def _fold(value: Any, t: mi.Type) -> Any:
    if isinstance(t, mi.UnionType):
        t = _pick(value, t)
    if isinstance(t, mi.StructType) and isinstance(value, dict):
        return _fold_struct(value, t)
    if isinstance(t, mi.ListType | mi.VarTupleType | mi.SetType) and isinstance(value, list):
        return [_fold(x, t.item_type) for x in value]
    if isinstance(t, mi.DictType) and isinstance(value, dict):
        return {k: _fold(_zero(v, t.value_type), t.value_type) for k, v in value.items()}
    return value


def _zero(value: Any, t: mi.Type) -> Any:
    """A map's ``null`` value is Go's zero value where the value is a struct (``{}`` in
    ``"ExposedPorts": {"80/tcp": null}``)."""
    return {} if value is None and isinstance(t, mi.StructType) else value


def _fold_struct(value: dict[str, Any], t: mi.StructType) -> dict[str, Any]:
    exact = {f.encode_name: f for f in t.fields}
    folded = {name.lower(): f for name, f in exact.items()}
    out: dict[str, Any] = {}
    for key in sorted(value, key=lambda k: k in exact):  # exact keys last: they win
        field = exact.get(key) or folded.get(key.lower())
        if field is None:
            continue
        item = value[key]
        if item is None and not _nullable(field.type):
            out.pop(field.encode_name, None)
            continue
        out[field.encode_name] = _fold(item, field.type)
    return out


def fold(value: Any, into: Any) -> Any:
    """``value`` (decoded JSON) with ``into``'s field names and without unholdable nulls."""
    return _fold(value, _info(into))


def decode(data: bytes, into: type[Any]) -> Any:
    """Decode ``data`` into ``into`` with Go's key and null rules; an empty body is ``{}``."""
    raw = msgspec.json.decode(data if data.strip() else b"{}")
    return msgspec.convert(fold(raw, into), into)
