"""Compose v2's progress on a terminal (``--progress tty``): one block redrawn in place at
each event, a title counting the objects done over all, then a line per object (network,
volume, container, image) with a mark (a spinner while working, a green tick once done, a
red cross on an error), its last status and the seconds it took, flush right::

    [+] Running 4/5
     ✔ Network p_default      Created                     0.1s
     ⠹ Container p-web-1      Starting                    0.6s

A line printed meanwhile (a warning) goes above the block, which is drawn again below it.
The caller serialises calls.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import TextIO

ESC = "\x1b"
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
WORKING = ("Creating", "Starting", "Stopping", "Removing", "Waiting", "Recreate",
           "Restarting", "Pulling", "Building", "Killing", "Pausing", "Unpausing", "Pushing")


def _color(code: str, text: str) -> str:
    return f"{ESC}[{code}m{text}{ESC}[0m"


class Line:
    def __init__(self, started: float) -> None:
        self.started = started
        self.status = ""
        self.ended: float | None = None


class Block:
    def __init__(self, out: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.out = out
        self.clock = clock
        self.lines: dict[str, Line] = {}
        self.drawn = 0  # lines of the block on the screen
        self.ticks = 0

    def event(self, ident: str, status: str) -> None:
        now = self.clock()
        line = self.lines.setdefault(ident, Line(now))
        line.status = status
        working = status.endswith("ing") or status in WORKING
        line.ended = None if working else now
        self._draw()

    def above(self, text: str) -> None:
        """Print ``text`` above the block."""
        self._erase()
        self.out.write(text + "\n")
        self._draw()

    def _erase(self) -> None:
        if self.drawn:
            self.out.write(f"{ESC}[{self.drawn}A{ESC}[0G{ESC}[0J")
        self.drawn = 0

    def _draw(self) -> None:
        if not self.lines:
            self.out.flush()
            return
        self.ticks += 1
        now = self.clock()
        width = shutil.get_terminal_size((80, 24)).columns
        pad = max(len(i) for i in self.lines)
        done = sum(1 for ln in self.lines.values() if ln.ended is not None)
        title = f"[+] Running {done}/{len(self.lines)}"
        rows = [_color("34", title) if done == len(self.lines) else title]
        for ident, ln in self.lines.items():
            seconds = f"{(ln.ended if ln.ended is not None else now) - ln.started:.1f}s "
            if ln.status == "Error":
                mark, status = _color("31", "✘"), _color("31", ln.status)
            elif ln.ended is not None:
                mark, status = _color("32", "✔"), _color("32", ln.status)
            else:
                mark, status = _color("33", SPINNER[self.ticks % len(SPINNER)]), ln.status
            text = f" {mark} {ident.ljust(pad)}  {status}"
            shown = len(f" x {ident.ljust(pad)}  {ln.status}")
            gap = max(1, width - shown - len(seconds) - 1)
            rows.append(text + " " * gap + _color("34", seconds))
        self._erase()
        self.out.write(f"{ESC}[?25l" + "".join(f"{r}{ESC}[K\n" for r in rows) + f"{ESC}[?25h")
        self.drawn = len(rows)
        self.out.flush()
