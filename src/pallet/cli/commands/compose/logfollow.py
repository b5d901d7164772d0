"""``compose logs -f`` beyond the containers it found: the engine's container events of
the project, as Compose v2's monitor reads them.

A container created or started while following is followed too (its log from the time it
started, so a restarted container's log goes on where it stopped); a container that dies
gets Compose v2's ``NAME exited with code N`` line (``(restarting)`` when its restart
policy brings it back); following ends once no followed container runs any more. The
event stream is opened before the containers are listed, so none starts unseen in
between. Unlike Compose v2, containers that had already stopped when ``logs -f`` began
are not waited for (v2 follows them until they start again, and so never returns on a
stopped project).
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from pallet.cli.commands.compose.logs import Printer, display_name, reader
from pallet.compose import labels

LIVE = ("created", "running", "restarting", "paused")


class Follower:
    def __init__(self, project: str, services: list[str]) -> None:
        from pallet.cli.session import api

        self.client = api()
        self.services = set(services)
        flt = {"type": ["container"], "label": [labels.project_filter(project)]}
        self.events = self.client.system.events(filters=flt)

    def run(self, docs: list[dict[str, Any]], threads: list[threading.Thread],
            printer: Printer, query: dict[str, Any]) -> list[threading.Thread]:
        """Follow the events until none of the followed containers runs; the reader
        threads started for the containers that started meanwhile."""
        from pallet.client.streams import json_lines

        live = {str(d["Id"]): th for d, th in zip(docs, threads, strict=True)}
        tracked = {str(d["Id"]) for d in docs if str(d.get("State", "")) in LIVE}
        started: list[threading.Thread] = []
        if not tracked:
            return started
        for ev in json_lines(self.events.chunks()):
            actor = ev.get("Actor") or {}
            attrs: dict[str, str] = actor.get("Attributes") or {}
            cid = str(actor.get("ID") or "")
            if labels.is_oneoff(attrs) or (
                    self.services and attrs.get(labels.SERVICE) not in self.services):
                continue
            action = str(ev.get("Action") or "")
            if action in ("create", "start"):
                tracked.add(cid)
            if action == "start" and not (cid in live and live[cid].is_alive()):
                th = self._follow(cid, printer, query)
                if th is not None:
                    live[cid] = th
                    started.append(th)
            elif action == "die":
                live.pop(cid, None)  # its next start gets a reader of its own
                self._died(cid, attrs, printer, tracked)
            elif action == "destroy":
                tracked.discard(cid)
            if not tracked:
                break
        return started

    def _follow(self, cid: str, printer: Printer,
                query: dict[str, Any]) -> threading.Thread | None:
        """A reader of a container that started, from the time it started."""
        import time

        from pallet.errors import PalletError
        from pallet.notation.times import parse_timestamp

        try:
            info = self.client.containers.inspect(cid)
        except PalletError:
            return None
        doc = {"Id": cid, "Names": [info.get("Name", "")],
               "Labels": (info.get("Config") or {}).get("Labels") or {}}
        started = str((info.get("State") or {}).get("StartedAt") or "")
        since = parse_timestamp(started, time.time()) if started else None
        return reader(doc, printer, {**query, "since": since}, info=info)

    def _died(self, cid: str, attrs: dict[str, str], printer: Printer,
              tracked: set[str]) -> None:
        from pallet.errors import PalletError

        state: dict[str, Any] = {}
        with contextlib.suppress(PalletError):
            state = self.client.containers.inspect(cid).get("State") or {}
        name = display_name({"Names": [attrs.get("name", cid[:12])], "Labels": attrs})
        code = attrs.get("exitCode", str(state.get("ExitCode", 0)))
        if state.get("Restarting") or state.get("Running"):
            printer.status(name, f"exited with code {code} (restarting)")
        else:
            printer.status(name, f"exited with code {code}")
            tracked.discard(cid)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.events.close()
