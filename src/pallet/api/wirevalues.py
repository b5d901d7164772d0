"""Values no Engine API body may carry, wherever they sit.

dockerd's fields are Go ``int64``s, so a larger integer is refused when the body is decoded;
and no name, path, argument or label can hold a NUL character (the kernel takes
NUL-terminated strings: a path with one fails the syscall, late, as a 500). :func:`check_wire`
walks a decoded body once and refuses both with a 400 naming the field.
"""

from __future__ import annotations

from typing import Any

from pallet.errors import InvalidArgument

INT64 = (-(1 << 63), (1 << 63) - 1)


def check_wire(value: Any, path: str = "") -> None:
    """Refuse integers beyond int64 and strings (values or keys) holding a NUL."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not INT64[0] <= value <= INT64[1]:
            raise InvalidArgument(f"json: cannot unmarshal number {value} into Go struct "
                                  f"field {path} of type int64")
    elif isinstance(value, str):
        if "\x00" in value:
            raise InvalidArgument(f"invalid {path or 'value'}: it contains a NUL character")
    elif isinstance(value, dict):
        for k, v in value.items():
            key = str(k)
            if "\x00" in key:
                raise InvalidArgument(f"invalid key in {path or 'the body'}: it contains a "
                                      "NUL character")
            check_wire(v, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for v in value:
            check_wire(v, path)
