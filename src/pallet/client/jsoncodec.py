"""JSON in and out of the client without importing ``json``.

``json`` imports ``re`` (its decoder's whitespace and number patterns), together
~5 ms of every CLI command's start-up. Underneath it sits CPython's accelerator
``_json``: ``json.dumps`` and ``json.loads`` with their default arguments run
``_json.make_encoder``'s encoder and ``_json.make_scanner``'s scanner, built here
with the same arguments, so a document's bytes and values are the same as
``json``'s. Anything off the common path (an error, a document that is not UTF-8
starting with ``{`` or ``[``) goes to ``json`` itself, so errors carry ``json``'s
exceptions and messages.
"""

from __future__ import annotations

import _json

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_WS = " \t\n\r"  # json.decoder.WHITESPACE
_CONSTANTS = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}


class _Context:
    """The attributes ``_json.make_scanner`` reads off a ``json.JSONDecoder()``."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__

    def __init__(self) -> None:
        self.memo: dict[str, str] = {}


_scan: Callable[[str, int], tuple[Any, int]] | None = None


def loads(data: bytes) -> Any:
    """``json.loads(data)``."""
    global _scan
    if data[:1] not in (b"{", b"[") or data[1:2] == b"\x00":
        return _slow_loads(data)  # maybe UTF-16/32 (json detects it), or a bare value
    try:
        text = data.decode("utf-8", "surrogatepass")
        if _scan is None:
            _scan = _json.make_scanner(_Context())  # type: ignore[arg-type]  # duck-typed
        obj, end = _scan(text, 0)
    except (ValueError, StopIteration):
        return _slow_loads(data)  # raises json's own error
    if end != len(text) and text[end:].strip(_WS):
        return _slow_loads(data)  # "Extra data"
    return obj


def dumps(obj: Any) -> bytes:
    """``json.dumps(obj, separators=(",", ":")).encode()``."""
    encode = _json.make_encoder(
        {}, _not_serializable, _json.encode_basestring_ascii, None, ":", ",", False, False,
        True)  # fmt: skip
    try:
        chunks = encode(obj, 0)
    except (TypeError, ValueError, RecursionError):
        return _slow_dumps(obj)  # raises json's own error
    return "".join(chunks).encode()


def _not_serializable(obj: object) -> Any:
    raise TypeError(f"Object of type {obj.__class__.__name__} is not JSON serializable")


def _slow_loads(data: bytes) -> Any:
    import json

    return json.loads(data)


def _slow_dumps(obj: Any) -> bytes:
    import json

    return json.dumps(obj, separators=(",", ":")).encode()
