"""The event bus behind ``GET /events``.

Engine code publishes Docker-shaped events; subscribers get a queue. A bounded
history lets ``since`` replay recent events, as dockerd does.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator

from pallet.api.responses import Event, EventActor


def matches(event: Event, filters: dict[str, list[str]]) -> bool:
    """Docker's event filters: type, event/action, container, image, label."""
    actor, kind = event.Actor, event.Type
    attrs = actor.Attributes or {}
    checks: dict[str, list[str]] = {
        "type": [kind],
        "event": [event.Action, event.Action.split(":")[0]],
        "container": [actor.ID, actor.ID[:12], attrs.get("name", "")]
        if kind == "container" else [],
        "image": [attrs.get("image", ""), actor.ID] if kind in ("container", "image") else [],
        "network": [actor.ID, attrs.get("name", "")] if kind == "network" else [],
        "volume": [actor.ID] if kind == "volume" else [],
    }
    for key, wanted in filters.items():
        if key == "label":
            for w in wanted:
                k, _, v = w.partition("=")
                if k not in attrs or (v and attrs[k] != v):
                    return False
            continue
        if key == "scope":
            if "local" not in wanted:
                return False
            continue
        have = checks.get(key)
        if have is None:
            continue
        if not any(w in have for w in wanted):
            return False
    return True


class EventBus:
    def __init__(self, history: int = 1024) -> None:
        self._history: deque[Event] = deque(maxlen=history)
        self._subscribers: set[asyncio.Queue[Event]] = set()

    def publish(self, type_: str, action: str, actor_id: str,
                attributes: dict[str, str] | None = None) -> Event:
        now = time.time_ns()
        attrs = dict(attributes or {})
        event = Event(Type=type_, Action=action, Actor=EventActor(ID=actor_id, Attributes=attrs),
                      scope="local", time=now // 1_000_000_000, timeNano=now)
        if type_ == "container":
            # Fields older clients read (API < 1.22 shape, still sent by dockerd).
            event.status, event.id, event.from_ = action, actor_id, attrs.get("image", "")
        self._history.append(event)
        for q in self._subscribers:
            q.put_nowait(event)
        return event

    async def subscribe(
        self, since: float | None, until: float | None, filters: dict[str, list[str]]
    ) -> AsyncIterator[Event]:
        q: asyncio.Queue[Event] = asyncio.Queue()
        self._subscribers.add(q)
        try:
            if since is not None:
                for ev in list(self._history):
                    if ev.timeNano >= since * 1e9 and (
                        until is None or ev.timeNano <= until * 1e9
                    ) and matches(ev, filters):
                        yield ev
            if until is not None and until <= time.time():
                return
            while True:
                if until is not None:
                    timeout = until - time.time()
                    if timeout <= 0:
                        return
                    try:
                        ev = await asyncio.wait_for(q.get(), timeout)
                    except TimeoutError:
                        return
                else:
                    ev = await q.get()
                if matches(ev, filters):
                    yield ev
        finally:
            self._subscribers.discard(q)
