"""Teardown notes a killed palletd left are finished at the next start (netplug/reaper),
including those written before the notes were typed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from pallet.engine.netplug import reaper as net_reaper
from pallet.engine.netplug.reaper import EndpointReaper, TeardownNote
from pallet.engine.records import Container
from pallet.network.netdoc import NetworkInfo, NetworkOptions, SetupDocument

CID = "c" * 64
NID = "n" * 64


class FakeNetns:
    @staticmethod
    def exists(path: Path) -> bool:
        return path.exists()

    @staticmethod
    def stand_in(path: Path, ifaces: list[str]) -> None:
        path.write_text("stand-in")

    @staticmethod
    def delete(path: Path) -> None:
        path.unlink(missing_ok=True)


class FakeDriver:
    def __init__(self) -> None:
        self.torn: list[tuple[str, SetupDocument]] = []

    def teardown(self, netns: str, doc: SetupDocument) -> None:
        self.torn.append((netns, doc))


class Addresses:
    def __init__(self) -> None:
        self.released: list[tuple[str, str, str]] = []

    def release_ip(self, nid: str, ip: str, cid: str) -> None:
        self.released.append((nid, ip, cid))


class NoRecords:
    def get(self, cid: str) -> Container | None:
        return None


def _doc() -> SetupDocument:
    return SetupDocument(
        container_id=CID, container_name="web",
        networks={"pallet0": NetworkOptions(["10.88.0.7"], ["cccccccccccc"], "eth0")},
        network_info={"pallet0": NetworkInfo(name="pallet0", id=NID)})


def test_an_old_note_and_a_new_one_are_both_torn_down(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(net_reaper, "netns", FakeNetns)
    reap_dir = tmp_path / "reaping"
    reap_dir.mkdir()
    old_ns, new_ns = tmp_path / "old-ns", tmp_path / "new-ns"
    old_ns.write_text("ns")
    # as the untyped reaper wrote it: the document as netavark reads it
    old = {"cid": CID, "netns": str(old_ns), "docs": [
        {"container_id": CID, "container_name": "web",
         "networks": {"pallet0": {"static_ips": ["10.88.0.5"], "aliases": [],
                                  "interface_name": "eth0"}},
         "network_info": {"pallet0": {"name": "pallet0", "id": NID, "driver": "bridge"}},
         "port_mappings": None, "dns_servers": None}]}
    (reap_dir / f"{CID}-00000001.json").write_text(json.dumps(old))
    (reap_dir / f"{CID}-00000002.json").write_text("{not json")
    driver, addresses = FakeDriver(), Addresses()
    reaper = EndpointReaper(driver, tmp_path, addresses, NoRecords(),  # type: ignore[arg-type]
                            reap_dir)
    assert reaper.note(TeardownNote(cid=CID, netns=str(new_ns), docs=[_doc()])) is not None

    async def main() -> None:
        await reaper.resume()
        await reaper.drain()

    asyncio.run(main())
    assert sorted(ns for ns, _ in driver.torn) == [str(new_ns), str(old_ns)]
    assert sorted(addresses.released) == [(NID, "10.88.0.5", CID), (NID, "10.88.0.7", CID)]
    assert list(reap_dir.iterdir()) == []  # done, and the unreadable one dropped
