"""The warm-endpoint pool (engine/netplug/spares) over a fake netavark and fake netns files."""

from __future__ import annotations

import asyncio
import json
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from pallet.engine.netplug import spares as net_spares
from pallet.engine.netplug.service import NetworkService
from pallet.engine.netplug.spares import SparePool
from pallet.network.config import NetConfig
from pallet.network.netdoc import Interface, SetupDocument, SetupResult, SetupStatus
from pallet.network.records import NetworkStore
from pallet.system.db import Database


class FakeNetns:
    """Namespaces as plain files (no root needed)."""

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
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.up: dict[str, SetupDocument] = {}
        self.documented_first: list[bool] = []

    def setup(self, netns: str, doc: SetupDocument) -> SetupResult:
        owner = doc.container_id
        note = self.state_dir / f"{owner}.json"
        self.documented_first.append(note.exists() and not json.loads(note.read_bytes())["ready"])
        self.up[netns] = doc
        return {"net": SetupStatus(interfaces={"eth0": Interface(mac_address="aa:bb")})}

    def teardown(self, netns: str, doc: SetupDocument) -> None:
        self.up.pop(netns, None)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[SparePool, FakeDriver,
                                                                   NetworkService]:
    monkeypatch.setattr(net_spares, "netns", FakeNetns)
    cfg = NetConfig("pltest0", "10.97.3.0/24", IPv4Network("10.96.0.0/20"), 24, 0)
    nets = NetworkService(NetworkStore(Database(tmp_path / "db")), cfg)
    nets.ensure_defaults()
    driver = FakeDriver(tmp_path / "spares")
    pool = SparePool(nets, driver, tmp_path / "netns", tmp_path / "spares")  # type: ignore[arg-type]
    return pool, driver, nets


def test_a_spare_is_documented_before_setup_taken_once_and_refilled(
        env: tuple[SparePool, FakeDriver, NetworkService], tmp_path: Path) -> None:
    pool, driver, nets = env

    async def main() -> None:
        await pool.up()
        await asyncio.sleep(0.05)
        bridge = nets.resolve("bridge")
        note = tmp_path / "spares" / f"{pool._ready[0].owner}.json"
        assert json.loads(note.read_bytes())["ready"] is True  # set up and in the pool
        spare = pool.take(bridge.id, "c" * 64)
        assert spare is not None and driver.documented_first == [True]
        assert not note.exists()  # the container's now: no note a restart would undo
        assert nets.store.holders(bridge.id) == ["c" * 64]  # the address moved with it
        assert pool.take(bridge.id, "d" * 64) is None  # never handed out twice
        pool.refill()
        await asyncio.sleep(0.05)
        assert len(driver.up) == 2  # the taken one (now the container's) and a new spare
        await pool.down()
        assert list(driver.up) == [str(spare.path)]  # down drops only what is still spare

    asyncio.run(main())


def test_leftovers_of_a_killed_daemon_are_dropped(
        env: tuple[SparePool, FakeDriver, NetworkService], tmp_path: Path) -> None:
    pool, driver, nets = env
    bridge = nets.resolve("bridge")
    owner = net_spares.OWNER_PREFIX + "0123456789ab"
    path = FakeNetns.create(tmp_path / "netns" / "_spare-0123456789ab")
    nets.allocate(bridge, owner)
    doc = {"container_id": owner}  # as an older palletd wrote it
    driver.up[str(path)] = SetupDocument(container_id=owner)
    state = tmp_path / "spares"
    state.mkdir()
    (state / f"{owner}.json").write_text(json.dumps({"netns": str(path), "doc": doc}))
    (state / f".{owner}.json.x1y2z3.tmp").write_text("{")  # a write the kill cut short
    nets.allocate(bridge, net_spares.OWNER_PREFIX + "ffffffffffff")  # killed before its doc

    async def main() -> None:
        await pool.up()
        await pool.down()

    asyncio.run(main())
    assert driver.up == {} and not path.exists()
    assert list(state.iterdir()) == [] and nets.store.holders(bridge.id) == []
