"""Signals as Docker accepts them: ``SIGTERM``, ``TERM``, ``15``, ``RTMIN+3``."""

from __future__ import annotations

import signal as _signal

from pallet.errors import InvalidArgument

_NAMES: dict[str, int] = {
    s.name[3:]: int(s.value)
    for s in _signal.Signals
    if s.name.startswith("SIG") and not s.name.startswith("SIG_")
}


def parse_signal(text: str) -> int:
    """A signal name or number -> its number (Linux numbering)."""
    s = text.strip().upper()
    if s.isdigit():
        n = int(s)
        if 0 < n <= int(_signal.SIGRTMAX):
            return n
        raise InvalidArgument(f"Invalid signal: {text}")
    if s.startswith("SIG"):
        s = s[3:]
    if s in _NAMES:
        return _NAMES[s]
    for base, number in (("RTMIN", int(_signal.SIGRTMIN)), ("RTMAX", int(_signal.SIGRTMAX))):
        if s.startswith(base) and s != base:
            try:
                off = int(s[len(base) :])
            except ValueError:
                break
            n = number + off
            if int(_signal.SIGRTMIN) <= n <= int(_signal.SIGRTMAX):
                return n
    raise InvalidArgument(f"Invalid signal: {text}")


def signal_name(number: int) -> str:
    """``15`` -> ``SIGTERM``."""
    try:
        return _signal.Signals(number).name
    except ValueError:
        return str(number)


def validate_signal(text: str) -> str:
    """Check ``text`` and return it as given (the API takes names or numbers)."""
    parse_signal(text)
    return text
