"""Events on the wire: dockerd's message, a container's with the pre-1.22 fields."""

from __future__ import annotations

import msgspec

from pallet.api.responses import Event
from pallet.engine.events import EventBus, matches


def test_container_event_carries_the_old_fields_others_do_not() -> None:
    bus = EventBus()
    ev = bus.publish("container", "start", "c" * 64, {"name": "web", "image": "busybox"})
    doc = msgspec.json.decode(msgspec.json.encode(ev))
    assert list(doc) == ["status", "id", "from", "Type", "Action", "Actor", "scope", "time",
                         "timeNano"]
    assert (doc["status"], doc["id"], doc["from"]) == ("start", "c" * 64, "busybox")
    assert doc["Actor"] == {"ID": "c" * 64, "Attributes": {"name": "web", "image": "busybox"}}
    assert doc["time"] == doc["timeNano"] // 1_000_000_000 and doc["scope"] == "local"
    net = msgspec.json.decode(msgspec.json.encode(bus.publish("network", "create", "n1")))
    assert list(net) == ["Type", "Action", "Actor", "scope", "time", "timeNano"]
    assert net["Actor"]["Attributes"] == {}
    back = msgspec.json.decode(msgspec.json.encode(ev), type=Event)
    assert back.from_ == "busybox" and back.Actor.ID == "c" * 64


def test_filters_read_the_typed_event() -> None:
    ev = EventBus().publish("container", "exec_start: sh", "c" * 64, {"name": "web"})
    assert matches(ev, {"event": ["exec_start"], "container": ["web"]})
    assert matches(ev, {"container": ["c" * 12]}) and not matches(ev, {"type": ["image"]})
    assert not matches(ev, {"label": ["name=db"]}) and matches(ev, {"label": ["name"]})
