"""``--filter key=value`` lists and Docker's filter JSON (``filters=`` query)."""

from __future__ import annotations

from pallet.errors import InvalidArgument

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from typing import Any

Filters = dict[str, list[str]]


def parse_filters(values: list[str]) -> Filters:
    """``["status=running", "label=a=b"]`` -> ``{"status":["running"],"label":["a=b"]}``."""
    out: Filters = {}
    for v in values:
        key, eq, val = v.partition("=")
        if not eq or not key:
            raise InvalidArgument(f"bad format of filter (expected name=value): {v}")
        key = key.strip().lower()
        val = val.strip()
        bucket = out.setdefault(key, [])
        if val not in bucket:
            bucket.append(val)
    return out


def labels_match(labels: dict[str, str], values: list[str]) -> bool:
    """Docker's ``label`` filter: every ``key`` is set and every ``key=value`` holds."""
    return all(k in labels and (not sep or labels[k] == v)
               for k, sep, v in (f.partition("=") for f in values))


def dangling_wanted(values: list[str]) -> bool:
    """The ``dangling`` filter's last value as a boolean; anything but 0/1/true/false is
    refused, naming the value."""
    value = values[-1].lower()
    if value not in ("0", "1", "true", "false"):
        raise InvalidArgument(f"invalid filter 'dangling={values[-1]}'")
    return value in ("1", "true")


def filters_from_json(text: str) -> Filters:
    """Accept both wire forms: map-of-bools (current) and map-of-lists (legacy)."""
    if not text.strip():
        return {}
    import json

    try:
        raw: Any = json.loads(text)
    except ValueError:
        raise InvalidArgument(f"invalid filter: {text}") from None
    if not isinstance(raw, dict):
        raise InvalidArgument(f"invalid filter: {text}")
    out: Filters = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            out[str(key)] = [str(k) for k, on in value.items() if on]
        elif isinstance(value, list):
            out[str(key)] = [str(v) for v in value]
        else:
            raise InvalidArgument(f"invalid filter: {text}")
    return out
