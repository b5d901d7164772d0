"""Host ports chosen by a start in flight count as taken (engine/net_plugin)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pallet.engine.net_plugin import NetworkPlugin


class NoRecords:
    def all(self) -> list[Any]:
        return []


class Stub:
    def __init__(self, cid: str) -> None:
        self.id = cid
        self.extras: dict[str, Any] = {}  # no endpoint: released has nothing to tear down


def test_ports_of_a_start_in_flight_are_taken_until_it_started(tmp_path: Path) -> None:
    plugin = NetworkPlugin(None, None, tmp_path, NoRecords())  # type: ignore[arg-type]
    plugin._starting["a"] = [{"protocol": "tcp", "host_port": 32768}]
    assert plugin._taken_ports("b") == {("tcp", 32768)}
    assert plugin._taken_ports("a") == set()  # its own choice does not block it
    asyncio.run(plugin.started(Stub("a")))  # type: ignore[arg-type]
    assert plugin._taken_ports("b") == set()
    plugin._starting["c"] = [{"protocol": "udp", "host_port": 5353}]
    asyncio.run(plugin.released(Stub("c")))  # type: ignore[arg-type]
    assert plugin._taken_ports("b") == set()
