"""Host ports chosen by a start in flight count as taken (netplug: plugin, endpoint.PortClaims).

Driven through the plugin's own ``prepare`` over a real NetworkService (SQLite) with a
fake netavark and netns files: the first start's netavark setup is still pending when
the second start chooses its ports.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from pallet.api.models import ContainerConfig, HostConfig, PortBinding
from pallet.engine.netplug import endpoint as net_endpoint
from pallet.engine.netplug import reaper as net_reaper
from pallet.engine.netplug.endpoint import EndpointSetup, PortClaims
from pallet.engine.netplug.live import LiveConnect
from pallet.engine.netplug.plugin import NetworkPlugin
from pallet.engine.netplug.reaper import EndpointReaper
from pallet.engine.netplug.service import NetworkService
from pallet.engine.plugins import StartContext
from pallet.engine.records import Container
from pallet.network import portmap
from pallet.network.config import NetConfig
from pallet.network.netdoc import SetupDocument, SetupResult
from pallet.network.records import NetworkStore
from pallet.system.db import Database


class FakeNetns:
    @staticmethod
    def create(path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("ns")
        return path

    @staticmethod
    def exists(path: Path) -> bool:
        return path.exists()

    @staticmethod
    def delete(path: Path) -> None:
        path.unlink(missing_ok=True)


class FakeDriver:
    def setup(self, netns: str, doc: SetupDocument) -> SetupResult:
        return {}

    def teardown(self, netns: str, doc: SetupDocument) -> None:
        return None


class Records:
    def __init__(self) -> None:
        self.saved: dict[str, Container] = {}

    def get(self, cid: str) -> Container | None:
        return self.saved.get(cid)

    def save(self, c: Container) -> None:
        self.saved[c.id] = c

    def all(self) -> list[Container]:
        return list(self.saved.values())


def _container(cid: str) -> Container:
    hc = HostConfig(PortBindings={"80/tcp": [PortBinding(HostPort="")]})
    return Container(id=cid * 64, name=cid, image_id="sha256:" + "0" * 64, created="",
                     config=ContainerConfig(ExposedPorts={"80/tcp": {}}), host_config=hc)


def _host_port(c: Container) -> int:
    assert c.extras.network is not None
    return c.extras.network.ports[0].host_port


def test_a_second_start_never_picks_the_port_of_a_start_in_flight(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(net_endpoint, "netns", FakeNetns)
    monkeypatch.setattr(net_reaper, "netns", FakeNetns)
    cfg = NetConfig("pltest0", "10.97.3.0/24", IPv4Network("10.96.0.0/20"), 24, 0)
    nets = NetworkService(NetworkStore(Database(tmp_path / "db")), cfg)
    nets.ensure_defaults()
    records = Records()
    driver: Any = FakeDriver()
    locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
    reaper = EndpointReaper(driver, tmp_path / "netns", nets.store, records)
    claims = PortClaims(records)
    setup = EndpointSetup(nets, driver, tmp_path / "netns", locks, claims, reaper)
    live = LiveConnect(nets, driver, records, locks, setup, reaper)  # type: ignore[arg-type]
    plugin = NetworkPlugin(nets, records, setup, live, reaper, claims, locks)  # type: ignore[arg-type]
    # the kernel offers both starts the same free port first: only the reservation of the
    # start in flight makes the second one pass it over
    def free_port(host_ip: str, proto: str, taken: set[tuple[str, int]]) -> int:
        return next(p for p in (40001, 40002, 40003) if (proto, p) not in taken)

    monkeypatch.setattr(portmap, "_free_port", free_port)

    async def main() -> None:
        a, b = _container("a"), _container("b")
        ctx_a = StartContext()
        await plugin.prepare(a, ctx_a)  # netavark deferred: A's record is not saved yet
        ctx_b = StartContext()
        await plugin.prepare(b, ctx_b)
        assert _host_port(a) == 40001 and _host_port(b) == 40002
        await ctx_a.settle()
        await ctx_b.settle()
        records.save(a)
        await plugin.started(a)
        assert claims.taken("c" * 64) == {("tcp", 40001), ("tcp", 40002)}
        await plugin.released(b)  # B's start failed: its port is free again
        await plugin.drain()
        assert claims.taken("c" * 64) == {("tcp", 40001)}

    asyncio.run(main())
