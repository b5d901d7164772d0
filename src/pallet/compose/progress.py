"""Compose v2's progress lines: `` Container p-web-1  Started`` on stderr, one per event,
written whole even when several steps run at once. ``quiet`` prints nothing; the
executor and commands report through :class:`Progress` only.
"""

from __future__ import annotations

import sys
import threading
from typing import TextIO


class Progress:
    def __init__(self, out: TextIO | None = None, quiet: bool = False,
                 dry_run: bool = False) -> None:
        self.out = out if out is not None else sys.stderr
        self.quiet = quiet
        self.prefix = "DRY-RUN MODE - " if dry_run else ""
        self.lock = threading.Lock()
        self.lines: list[str] = []

    def event(self, kind: str, name: str, status: str) -> None:
        """``kind`` is Container, Network, Volume, Image or "" (a service)."""
        line = f" {kind} {name}  {status}" if kind else f" {name}  {status}"
        self.write(self.prefix + line)

    def warn(self, text: str) -> None:
        self.write(f"WARN[0000] {text}")

    def write(self, line: str) -> None:
        with self.lock:
            self.lines.append(line)
            if self.quiet:
                return
            self.out.write(line + "\n")
            self.out.flush()
