"""Display JSON-lines progress (pull, push, load, import, bootstrap) like docker: plain
lines, or on a terminal per-layer lines rewritten in place (:mod:`pallet.cli.progresslive`);
raise the stream's error (printed as is)."""

from __future__ import annotations

from pallet.client.streams import progress_messages

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any


def show(
    chunks: Iterable[bytes], write: Callable[[str], object], quiet: bool = False,
    tty: bool = False,
) -> list[dict[str, Any]]:
    """Print each message; return the ``aux`` payloads. An error in the stream raises
    a PalletError that prints as it is, without docker's "Error response from daemon:"
    (that is for a failed request)."""
    aux: list[dict[str, Any]] = []
    live = None
    if tty and not quiet:
        from pallet.cli.progresslive import Live

        live = Live(write)
    for msg in progress_messages(chunks):
        if "aux" in msg and isinstance(msg["aux"], dict):
            aux.append(msg["aux"])
            continue
        if quiet:
            continue
        if "stream" in msg:
            write(str(msg["stream"]))
            continue
        status = str(msg.get("status", ""))
        if not status:
            continue
        if live is not None:
            live.show(msg)
            continue
        line = f"{msg['id']}: {status}" if msg.get("id") else status
        if msg.get("progress"):
            line += " " + str(msg["progress"])
        write(line + "\n")
    return aux
