"""Terminal modes around an attached session: raw mode (always restored), resize on
SIGWINCH, and signal proxying to a container.

Loaded only by a session that needs one of them (``-t`` or ``--sig-proxy``);
``signal`` and ``threading`` are imported by the functions that use them.
"""

from __future__ import annotations

import contextlib
import sys

from pallet.cli.terminal import is_tty, size

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@contextlib.contextmanager
def raw_mode(enabled: bool) -> Iterator[None]:
    """Put stdin in raw mode for the duration; restore it on any exit."""
    if not enabled or not is_tty(sys.stdin):
        yield
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


@contextlib.contextmanager
def on_resize(resize: Callable[[int, int], None]) -> Iterator[None]:
    """Call ``resize(rows, cols)`` now and on every SIGWINCH (main thread only)."""
    import signal
    import threading

    def send(*_: object) -> None:
        dims = size()
        if dims:
            try:
                resize(*dims)
            except Exception:
                pass

    send()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGWINCH, send)
    try:
        yield
    finally:
        signal.signal(signal.SIGWINCH, previous)


@contextlib.contextmanager
def proxy_signals(enabled: bool, kill: Callable[[str], None]) -> Iterator[None]:
    """Forward the usual signals to the container (``--sig-proxy``)."""
    if not enabled:
        yield
        return
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def forward(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        threading.Thread(target=_quiet, args=(kill, name), daemon=True).start()

    proxied = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
               signal.SIGUSR2)  # fmt: skip
    previous = {s: signal.signal(s, forward) for s in proxied}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _quiet(kill: Callable[[str], None], name: str) -> None:
    try:
        kill(name)
    except Exception:
        pass
