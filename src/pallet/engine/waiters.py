"""Futures for ``POST /containers/{id}/wait`` and for stop's grace period.

``exit`` waiters resolve at the container's next exit with its code; ``removed``
waiters when the record is gone (carrying the last exit code).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict


class Waiters:
    def __init__(self) -> None:
        self._exit: dict[str, list[asyncio.Future[int]]] = defaultdict(list)
        self._removed: dict[str, list[asyncio.Future[int]]] = defaultdict(list)

    def on_exit(self, cid: str) -> asyncio.Future[int]:
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._exit[cid].append(fut)
        return fut

    def on_removed(self, cid: str) -> asyncio.Future[int]:
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._removed[cid].append(fut)
        return fut

    def exited(self, cid: str, code: int) -> None:
        for fut in self._exit.pop(cid, []):
            if not fut.done():
                fut.set_result(code)

    def removed(self, cid: str, code: int) -> None:
        self.exited(cid, code)
        for fut in self._removed.pop(cid, []):
            if not fut.done():
                fut.set_result(code)
