"""On-demand rootfs mounts shared by cp and export (engine/rootfs_holds)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pallet.engine.rootfs_holds import RootfsHolds


class Mounts:
    def __init__(self) -> None:
        self.mounted: set[Path] = set()
        self.calls: list[str] = []
        self.running: set[str] = set()

    def mount(self, cid: str, target: Path) -> None:
        self.calls.append(f"mount {cid}")
        self.mounted.add(target)

    def unmount(self, target: Path) -> None:
        self.calls.append(f"unmount {target.name}")
        self.mounted.discard(target)

    def started(self, tmp: Path, cid: str) -> None:
        self.running.add(cid)
        self.mounted.add(tmp / cid)

    def holds(self, tmp: Path) -> RootfsHolds:
        return RootfsHolds(lambda cid: tmp / cid, self.mount, self.unmount,
                           lambda cid: cid in self.running, lambda p: p in self.mounted)


def test_a_stopped_container_is_mounted_once_for_overlapping_readers(tmp_path: Path) -> None:
    m = Mounts()
    holds = m.holds(tmp_path)

    async def main() -> None:
        async with holds.hold("c1") as a:
            async with holds.hold("c1") as b:
                assert a == b == tmp_path / "c1" and holds.held("c1")
            assert a in m.mounted  # the first reader still reads
        assert not holds.held("c1") and not m.mounted

    asyncio.run(main())
    assert m.calls == ["mount c1", "unmount c1"]


def test_a_running_container_keeps_its_own_mount(tmp_path: Path) -> None:
    m = Mounts()
    m.started(tmp_path, "c1")
    holds = m.holds(tmp_path)

    async def main() -> None:
        async with holds.hold("c1"):
            pass

    asyncio.run(main())
    assert m.calls == [] and tmp_path / "c1" in m.mounted


def test_the_last_reader_unmounts_a_container_that_stopped_meanwhile(tmp_path: Path) -> None:
    m = Mounts()
    m.started(tmp_path, "c1")
    holds = m.holds(tmp_path)

    async def main() -> None:
        async with holds.hold("c1"):
            m.running.discard("c1")  # it exits; the exit path sees held() and leaves it
            assert holds.held("c1")

    asyncio.run(main())
    assert m.calls == ["unmount c1"]
