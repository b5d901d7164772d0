"""The local terminal: is a stream a terminal, and its size.

Raw mode, resize and signal proxying live in ``pallet.cli.termmodes`` (they need
``contextlib``, ``signal`` and ``threading``), which a ``pallet exec CTR true``
without ``-t`` or ``--sig-proxy`` never loads.
"""

from __future__ import annotations

import os
import sys


def is_tty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


def size() -> tuple[int, int] | None:
    """(rows, columns) of the controlling terminal, or None."""
    for stream in (sys.stdout, sys.stdin, sys.stderr):
        try:
            cols, rows = os.get_terminal_size(stream.fileno())
            return rows, cols
        except (OSError, ValueError, AttributeError):
            continue
    return None
