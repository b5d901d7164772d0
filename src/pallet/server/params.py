"""Query parameters and JSON bodies the way dockerd reads them."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from aiohttp import web

from pallet.api.models import decode
from pallet.errors import InvalidArgument
from pallet.notation.filters import Filters, filters_from_json

T = TypeVar("T")

_FALSE = frozenset(("", "0", "no", "false", "none"))
_encode = msgspec.json.Encoder().encode


def qbool(request: web.Request, name: str, default: bool = False) -> bool:
    """moby's ``BoolValue``: present and not one of "", 0, no, false, none."""
    value = request.query.get(name)
    if value is None:
        return default
    return value.strip().lower() not in _FALSE


def qint(request: web.Request, name: str, default: int | None = None) -> int | None:
    value = request.query.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidArgument(f"invalid value for {name}: {value!r}") from None


def qstr(request: web.Request, name: str, default: str = "") -> str:
    return request.query.get(name, default)


def qfilters(request: web.Request) -> Filters:
    """``filters`` in either wire form (lists, or the old map of bools)."""
    text = request.query.get("filters", "")
    if text.strip() in ("", "null", "{}"):
        return {}
    return filters_from_json(text)


def qtime(request: web.Request, name: str) -> float | None:
    """A unix timestamp (``"1700000000.123"``) or RFC 3339 time; None when absent."""
    value = request.query.get(name)
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    from datetime import datetime

    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise InvalidArgument(f"invalid time for {name}: {value!r}") from None


async def body_as(request: web.Request, into: type[T]) -> T:
    """Decode the JSON request body into a msgspec struct (400 on bad JSON)."""
    data = await request.read()
    try:
        return decode(data, into)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise InvalidArgument(f"invalid JSON body: {exc}") from None


def json_response(obj: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=_encode(obj), content_type="application/json")


def encode_json(obj: Any) -> bytes:
    return _encode(obj)


def no_content() -> web.Response:
    return web.Response(status=204)
