"""A Compose v2 warning as the logrus text formatter it logs through writes it: on a
terminal ``WARN[0000] message`` (the level in yellow, the seconds since start, the message
padded to 44 columns, a space), elsewhere ``time="2024-01-02T03:04:05Z" level=warning
msg="message"`` (local time in RFC 3339; a value with any character outside logrus's plain
set ``[A-Za-z0-9-._/@^+]`` quoted as Go's ``%q``)."""

from __future__ import annotations

import json
import re
import time
from typing import TextIO

_STARTED = time.monotonic()
_PLAIN = re.compile(r"[A-Za-z0-9\-._/@^+]*")


def _value(text: str) -> str:
    return text if _PLAIN.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def warning(text: str, out: TextIO, now: float | None = None) -> str:
    """The line (without its newline) for a warning written to ``out``."""
    if out.isatty():
        seconds = int(time.monotonic() - _STARTED)
        return f"\x1b[33mWARN\x1b[0m[{seconds:04d}] {text:<44} "
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(now))
    stamp = stamp[:-5] + "Z" if stamp.endswith("+0000") else f"{stamp[:-2]}:{stamp[-2:]}"
    return f"time={_value(stamp)} level=warning msg={_value(text)}"
