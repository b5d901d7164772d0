"""``pallet compose logs`` and the log view of a foreground ``up``: every container's
output, line by line, behind a ``NAME | `` prefix coloured per container, as Compose v2
prints it (the name without the project, ``db-1``, unless the service sets
``container_name``; padded to the longest name printed so far, plus one; ``--no-color``,
``--no-log-prefix``). Each container is read on its own thread; with ``-f`` a
container's stream ends when it stops, containers started meanwhile are followed too
(:mod:`~pallet.cli.commands.compose.logfollow`), and the command returns when every
container it follows has stopped, so ``logs -f`` ends when the stack stops.
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


def display_name(doc: dict[str, Any]) -> str:
    """The name Compose v2 shows for a container: ``SERVICE-N`` for the name it made
    (``PROJECT-SERVICE-N``), a ``container_name`` as it is."""
    from pallet.compose import labels

    lab = doc.get("Labels") or {}
    name = str((doc.get("Names") or ["/?"])[0]).lstrip("/")
    project = lab.get(labels.PROJECT, "")
    made = (f"{project}{labels.SEPARATOR}{lab.get(labels.SERVICE, '')}"
            f"{labels.SEPARATOR}{lab.get(labels.CONTAINER_NUMBER, '')}")
    return name[len(project) + 1:] if project and name == made else name


class Printer:
    """Writes whole prefixed lines from many threads; each name registered gets the next
    colour and widens every later prefix to fit it."""

    def __init__(self, color: bool, prefix: bool = True) -> None:
        self.color = color
        self.prefix = prefix
        self.lock = threading.Lock()
        self.colors: dict[str, str] = {}
        self.width = 0

    def _register(self, name: str) -> None:
        """Called with the lock held, at a name's first line (as Compose v2 does)."""
        if name not in self.colors:
            self.colors[name] = COLORS[len(self.colors) % len(COLORS)]
            self.width = max(self.width, len(name) + 1)

    def _paint(self, name: str, text: str) -> str:
        return f"\033[{self.colors.get(name, '0')}m{text}\033[0m" if self.color else text

    def lines(self, name: str, data: bytes) -> None:
        out = sys.stdout.buffer
        with self.lock:
            self._register(name)
            head = self._paint(name, f"{name.ljust(self.width)} | ").encode() \
                if self.prefix else b""
            out.write(b"".join(head + line + b"\n" for line in data.split(b"\n")))
            out.flush()

    def status(self, name: str, text: str) -> None:
        """A line about the container itself (``db-1 exited with code 0``)."""
        with self.lock:
            self._register(name)
            sys.stdout.write("\r\033[K" + self._paint(name, f"{name} {text}") + "\n")
            sys.stdout.flush()


def follow_container(client: Any, doc: dict[str, Any], printer: Printer, query: dict[str, Any],
                     on_end: Callable[[dict[str, Any]], None] | None = None,
                     info: dict[str, Any] | None = None) -> None:
    """Copy one container's log to the printer (until it stops, with ``follow``); ``info``
    is its inspect document when the caller has it already."""
    from pallet.client.streams import demux

    name = display_name(doc)
    cid = str(doc["Id"])
    try:
        if info is None:
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
                printer.lines(name, done)
        if pending:
            printer.lines(name, pending)
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


def stream(docs: list[dict[str, Any]], query: dict[str, Any], printer: Printer,
           on_end: Callable[[dict[str, Any]], None] | None = None) -> list[threading.Thread]:
    """Start one reader thread per container; returns the threads."""
    return [reader(d, printer, query, on_end) for d in docs]


def reader(doc: dict[str, Any], printer: Printer, query: dict[str, Any],
           on_end: Callable[[dict[str, Any]], None] | None = None,
           info: dict[str, Any] | None = None) -> threading.Thread:
    """A started thread copying ``doc``'s log to ``printer`` (``info``: its inspect
    document, when the caller has it already)."""
    from pallet.cli.session import api

    th = threading.Thread(target=follow_container,
                          args=(api(), doc, printer, query, on_end, info), daemon=True)
    th.start()
    return th


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
    if not wanted and not isinstance(proj, str):
        wanted = list(proj.services)  # as Compose v2: the file's services, no orphans
    follower = None
    if follow:
        from pallet.cli.commands.compose.logfollow import Follower

        # listening before listing: a container started in between is seen either way
        follower = Follower(target.name_of(proj), wanted)
    docs = target.engine().containers(target.name_of(proj))
    docs = [d for d in docs if not labels.is_oneoff(d.get("Labels") or {}) and (
        not wanted or (d.get("Labels") or {}).get(labels.SERVICE) in wanted)]
    if index:
        docs = [d for d in docs if labels.number_of(d.get("Labels") or {}) == index]
    docs.sort(key=lambda d: str((d.get("Names") or [""])[0]))
    query = log_query(follow, tail, timestamps, since, until)
    printer = Printer(use_color(no_color), not no_log_prefix)
    try:
        threads = stream(docs, query, printer)
        if follower is not None:
            threads += follower.run(docs, threads, printer, query)
        join(threads)
    except KeyboardInterrupt:
        return
    finally:
        if follower is not None:
            follower.close()
