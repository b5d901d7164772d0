"""Docker's terminal rendering of a progress stream (pull, push, load): one line per layer
id, rewritten in place with cursor movements, each with a bar, bytes, speed and time left.

The line of an id is counted from the bottom of the block of id lines; a message without
an id (or without progress) is printed below and starts a new block, as Docker's CLI
does. Bars come from ``progressDetail`` (current/total) with the speed measured here
since the id's first progress message.
"""

from __future__ import annotations

import time

from pallet.notation.sizes import human_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

ESC = "\x1b"
WIDTH = 50


def bar(current: int, total: int, elapsed: float) -> str:
    """``[=====>     ]  12.3MB/45.6MB  8.1MB/s 4s``; sizes only when the total is unknown."""
    if total <= 0:
        return human_size(current) if current > 0 else ""
    filled = min(WIDTH, WIDTH * current // total)
    box = "=" * filled + (">" if filled < WIDTH else "") + " " * max(0, WIDTH - filled - 1)
    out = f"[{box}] {human_size(current):>8}/{human_size(total)}"
    if elapsed > 0 and 0 < current < total:
        speed = current / elapsed
        out += f"  {human_size(speed)}/s {max(1, round((total - current) / speed))}s"
    return out


class Live:
    """Writes messages for a terminal; ``write`` takes text as it should appear."""

    def __init__(self, write: Callable[[str], object],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.write = write
        self.clock = clock
        self.lines: dict[str, int] = {}
        self.started: dict[str, float] = {}

    def show(self, msg: dict[str, Any]) -> None:
        sid = str(msg.get("id") or "")
        detail = msg.get("progressDetail")
        if not sid or not isinstance(detail, dict):
            self.lines = {}
            self._line(msg, sid, None, "\n")
            return
        line = self.lines.get(sid)
        if line is None:
            line = self.lines[sid] = len(self.lines)
            self.write("\n")
        up = len(self.lines) - line
        self.write(f"{ESC}[{up}A")
        self._line(msg, sid, detail, "\r")
        self.write(f"{ESC}[{up}B")

    def _line(self, msg: dict[str, Any], sid: str, detail: dict[str, Any] | None,
              end: str) -> None:
        text = f"{sid}: " if sid else ""
        text += str(msg.get("status", ""))
        if detail and isinstance(detail.get("current"), int):
            now = self.clock()
            start = self.started.setdefault(sid, now)
            total = detail.get("total")
            text += " " + bar(detail["current"], total if isinstance(total, int) else 0,
                              now - start)
        self.write(f"{ESC}[2K\r{text}{end}")
