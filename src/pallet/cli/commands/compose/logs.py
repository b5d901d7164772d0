"""``pallet compose logs`` and the log view of a foreground ``up``: every container's
output, line by line, behind a ``NAME  | `` prefix coloured per service (as Compose v2
does; ``--no-color``, ``--no-log-prefix``). Each container is read on its own thread;
with ``-f`` a container's stream ends when it stops, and the command returns when
every stream has ended, so ``logs -f`` ends when the stack stops.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

from pallet.cli.commands.compose import target
from pallet.cli.flags import argument, command, option

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

COLORS = ("36", "33", "32", "35", "34", "96", "93", "92", "95", "94")


class Printer:
    """Writes whole prefixed lines from many threads."""

    def __init__(self, width: int, color: bool, prefix: bool = True) -> None:
        self.width = width
        self.color = color
        self.prefix = prefix
        self.lock = threading.Lock()
        self.colors: dict[str, str] = {}

    def head(self, name: str, service: str) -> bytes:
        if not self.prefix:
            return b""
        text = f"{name.ljust(self.width)}  | "
        if self.color:
            code = self.colors.setdefault(service, COLORS[len(self.colors) % len(COLORS)])
            text = f"\033[{code}m{text}\033[0m"
        return text.encode()

    def lines(self, head: bytes, data: bytes) -> None:
        out = sys.stdout.buffer
        with self.lock:
            out.write(b"".join(head + line + b"\n" for line in data.split(b"\n")))
            out.flush()


def follow_container(client: Any, doc: dict[str, Any], printer: Printer, query: dict[str, Any],
                     on_end: Callable[[dict[str, Any]], None] | None = None) -> None:
    """Copy one container's log to the printer (until it stops, with ``follow``)."""
    from pallet.client.streams import demux
    from pallet.compose import labels

    lab = doc.get("Labels") or {}
    name = str((doc.get("Names") or ["/?"])[0]).lstrip("/")
    head = printer.head(name, lab.get(labels.SERVICE, name))
    cid = str(doc["Id"])
    try:
        info = client.containers.inspect(cid)
        tty = bool((info.get("Config") or {}).get("Tty"))
        resp = client.containers.logs(cid, **query)
        chunks = resp.chunks()
        pieces = ((1, c) for c in chunks) if tty else demux(chunks)
        pending = b""
        for _, data in pieces:
            pending += data
            if b"\n" in pending:
                done, _, pending = pending.rpartition(b"\n")
                printer.lines(head, done)
        if pending:
            printer.lines(head, pending)
    except OSError:
        pass  # the daemon closed the stream (the container went away)
    finally:
        if on_end is not None:
            on_end(doc)


def log_query(follow: bool, tail: str, timestamps: bool, since: str,
              until: str) -> dict[str, Any]:
    from pallet.cli.util import now, parsed
    from pallet.notation.times import parse_timestamp

    t = now()
    return {
        "follow": follow, "tail": tail or "all", "timestamps": timestamps,
        "since": parsed(since, lambda v: parse_timestamp(v, t), "--since") if since else None,
        "until": parsed(until, lambda v: parse_timestamp(v, t), "--until") if until else None,
    }


def stream(docs: list[dict[str, Any]], query: dict[str, Any], *, color: bool,
           prefix: bool = True,
           on_end: Callable[[dict[str, Any]], None] | None = None) -> list[threading.Thread]:
    """Start one reader thread per container; returns the threads."""
    from pallet.cli.session import api

    width = max((len(str((d.get("Names") or ["/"])[0])) - 1 for d in docs), default=0)
    printer = Printer(width, color, prefix)
    threads = [threading.Thread(target=follow_container,
                                args=(api(), d, printer, query, on_end), daemon=True)
               for d in docs]
    for th in threads:
        th.start()
    return threads


def use_color(no_color: bool) -> bool:
    from pallet.cli.commands.compose import context

    ansi = context.flags().ansi
    if no_color or ansi == "never":
        return False
    return ansi == "always" or sys.stdout.isatty()


def join(threads: list[threading.Thread]) -> None:
    for th in threads:
        while th.is_alive():
            th.join(0.2)


@command()
@option("-f", "--follow", is_flag=True, help="Follow log output")
@option("-n", "--tail", default="all",
        help="Number of lines to show from the end of the logs for each container")
@option("-t", "--timestamps", is_flag=True, help="Show timestamps")
@option("--since", default="", help="Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) "
        "or relative (e.g. 42m for 42 minutes)")
@option("--until", default="", help="Show logs before a timestamp")
@option("--no-color", is_flag=True, help="Produce monochrome output")
@option("--no-log-prefix", is_flag=True, help="Don't print prefix in logs")
@option("--index", type=int, default=0, help="index of the container if service has "
        "multiple replicas")
@argument("services", nargs=-1, metavar="[SERVICE...]")
def logs(follow: bool, tail: str, timestamps: bool, since: str, until: str, no_color: bool,
         no_log_prefix: bool, index: int, services: tuple[str, ...]) -> None:
    """View output from containers."""
    from pallet.compose import labels

    proj = target.project_or_name()
    wanted = target.services_of(proj, services)
    docs = target.engine().containers(target.name_of(proj))
    docs = [d for d in docs if not wanted
            or (d.get("Labels") or {}).get(labels.SERVICE) in wanted]
    if index:
        docs = [d for d in docs if labels.number_of(d.get("Labels") or {}) == index]
    docs.sort(key=lambda d: str((d.get("Names") or [""])[0]))
    query = log_query(follow, tail, timestamps, since, until)
    try:
        join(stream(docs, query, color=use_color(no_color), prefix=not no_log_prefix))
    except KeyboardInterrupt:
        return
