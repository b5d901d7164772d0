"""Byte sizes: ``64m``/``1g`` (Docker's RAMInBytes, binary) and the decimal
human form Docker prints (``4.26MB``)."""

from __future__ import annotations

import re

from pallet.errors import InvalidArgument

_SIZE = re.compile(r"^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")
_BINARY = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
_DECIMAL_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
_BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")


def parse_size(text: str) -> int:
    """``"64m"`` -> 67108864. Units are binary (k=1024) as in ``docker run -m``."""
    m = _SIZE.match(text.strip())
    if not m:
        raise InvalidArgument(f"invalid size: '{text}'")
    try:
        number = float(m.group(1))
    except ValueError:
        raise InvalidArgument(f"invalid size: '{text}'") from None
    unit = (m.group(2) or "").lower()
    return int(number * _BINARY.get(unit, 1))


def parse_memory(text: str) -> int:
    """A memory flag value; ``-1`` means unlimited (``--memory-swap -1``)."""
    if text.strip() == "-1":
        return -1
    return parse_size(text)


def _scaled(size: float, base: float, units: tuple[str, ...]) -> tuple[float, str]:
    i = 0
    while size >= base and i < len(units) - 1:
        size /= base
        i += 1
    return size, units[i]


def _go_g(value: float, precision: int) -> str:
    text = f"{value:.{precision}g}"
    if "e" in text:  # Go keeps e+XX exponents with two digits, like Python
        mant, exp = text.split("e")
        sign = exp[0]
        digits = exp[1:].lstrip("0").rjust(2, "0")
        text = f"{mant}e{sign}{digits}"
    return text


def human_size(size: float, precision: int = 3) -> str:
    """Decimal size as ``docker images`` prints it: ``4.26MB``, ``0B``, ``1.2kB``."""
    value, unit = _scaled(float(size), 1000.0, _DECIMAL_UNITS)
    return f"{_go_g(value, precision)}{unit}"


def binary_size(size: float) -> str:
    """Binary size as ``docker stats`` prints it: ``1.5MiB``."""
    value, unit = _scaled(float(size), 1024.0, _BINARY_UNITS)
    return f"{value:.4g}{unit}"
