"""palletd handles the exits conmon reports side by side (Daemon.watch_exits): one slow exit
does not hold up the others, and a failing one is logged, not fatal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from pallet.daemon.wiring import Daemon


class Watcher:
    def __init__(self, *cids: str) -> None:
        self.cids = cids

    async def __aiter__(self) -> AsyncIterator[str]:
        for cid in self.cids:
            yield cid
        await asyncio.Event().wait()  # conmon reports nothing more


class Containers:
    """``a`` finishes only once ``b`` has been handled; ``bad`` raises."""

    def __init__(self) -> None:
        self.b_done = asyncio.Event()
        self.done: list[str] = []

    async def on_exit(self, cid: str) -> None:
        if cid == "bad":
            raise RuntimeError("boom")
        if cid == "a":
            await self.b_done.wait()
        if cid == "b":
            self.b_done.set()
        self.done.append(cid)


def test_exits_are_handled_side_by_side() -> None:
    async def main() -> list[str]:
        containers = Containers()
        daemon: Any = Daemon.__new__(Daemon)
        daemon.watcher, daemon.containers = Watcher("a", "bad", "b"), containers
        task = asyncio.get_running_loop().create_task(daemon.watch_exits())
        try:
            await asyncio.wait_for(containers.b_done.wait(), 5)
            while len(containers.done) < 2:
                await asyncio.sleep(0.01)
        finally:
            task.cancel()
        return containers.done

    assert asyncio.run(main()) == ["b", "a"]
