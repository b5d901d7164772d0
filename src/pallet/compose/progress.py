"""Compose v2's progress output, in the mode ``--progress`` (or ``COMPOSE_PROGRESS``) picks:

- ``plain``: `` Container p-web-1  Started`` on stderr, one line per event, written whole
  even when several steps run at once;
- ``tty``: the block Compose v2 redraws in place (``[+] Running 2/3`` over one line per
  object, :mod:`pallet.compose.progresstty`);
- ``json``: one JSON object per event (``{"id":"Container p-web-1","status":"Started"}``)
  and per warning (``{"level":"warning","msg":...,"time":...}``);
- ``quiet``: nothing;
- ``auto`` (or none given): ``tty`` on a terminal, ``plain`` elsewhere.

The executor and commands report through :class:`Progress` only. :func:`mode_of` checks
the flag as Compose v2 does, against ``--ansi``.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO

from pallet.compose.errors import ComposeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pallet.compose.progresstty import Block

MODES = ("auto", "tty", "plain", "json", "quiet", "none")


def mode_of(progress: str, ansi: str, out: TextIO | None = None) -> str:
    """The output mode for ``--progress`` and ``--ansi`` (refused as Compose v2 refuses:
    an unknown value, ``tty`` with ``--ansi never``, ``plain`` with ``--ansi always``)."""
    if progress not in ("", *MODES):
        raise ComposeError(f'unsupported --progress value "{progress}"')
    if progress == "tty" and ansi == "never":
        raise ComposeError("can't use --progress tty while ANSI support is disabled")
    if progress == "plain" and ansi == "always":
        raise ComposeError("can't use --progress plain while ANSI support is forced")
    if progress == "none":
        return "quiet"
    if progress not in ("", "auto"):
        return progress
    if ansi == "never":
        return "plain"
    stream = out if out is not None else sys.stderr
    return "tty" if ansi == "always" or stream.isatty() else "plain"


class Progress:
    def __init__(self, out: TextIO | None = None, quiet: bool = False,
                 dry_run: bool = False, mode: str = "plain") -> None:
        self.out = out if out is not None else sys.stderr
        self.mode = "quiet" if quiet else mode
        self.quiet = self.mode == "quiet"
        self.dry_run = dry_run
        self.prefix = "DRY-RUN MODE - " if dry_run else ""
        self.lock = threading.Lock()
        self.lines: list[str] = []
        self.block: Block | None = None
        if self.mode == "tty":
            from pallet.compose.progresstty import Block

            self.block = Block(self.out)

    def event(self, kind: str, name: str, status: str) -> None:
        """``kind`` is Container, Network, Volume, Image or "" (a service)."""
        ident = f"{kind} {name}" if kind else name
        line = f" {ident}  {status}"
        if self.mode == "json":
            self._emit(line, self._json({"id": ident, "status": status}))
        elif self.block is not None:
            with self.lock:
                self.lines.append(self.prefix + line)
                self.block.event(self.prefix + ident, status)
        else:
            self.write(self.prefix + line)

    def warn(self, text: str) -> None:
        if self.mode == "json":
            import time

            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            doc = {"level": "warning", "msg": text, "time": now}
            self._emit(f"WARN[0000] {text}", self._json(doc))
        else:
            from pallet.compose.logline import warning

            if self.block is not None:
                self.write(warning(text, self.out))
            else:  # recorded in the short form, written as logrus writes it
                self._emit(f"WARN[0000] {text}", warning(text, self.out))

    def write(self, line: str) -> None:
        if self.block is not None:
            with self.lock:
                self.lines.append(line)
                self.block.above(line)
            return
        self._emit(line, line)

    def _json(self, doc: dict[str, Any]) -> str:
        import json

        if self.dry_run and "id" in doc:
            doc = {"dry-run": True, **doc}
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)

    def _emit(self, line: str, shown: str) -> None:
        with self.lock:
            self.lines.append(line)
            if self.quiet:
                return
            self.out.write(shown + "\n")
            self.out.flush()
