"""What the monitor reports: a container's exit (reconciliation at start: ``reconcile``).

Mixed into ``ContainerService``. An exit is recorded with the code and time
conmon wrote (so an exit that happened while palletd was away shows its real
code and time), the root filesystem is released, waiters and plugins are told,
and ``--rm`` containers are removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pallet.engine.lifecycle import Op, State, next_state
from pallet.engine.records import now_rfc3339
from pallet.errors import PalletError
from pallet.notation.times import rfc3339_of

if TYPE_CHECKING:
    from pallet.engine.plugins import ContainerPlugin
    from pallet.engine.ports import Runtime
    from pallet.engine.records import Container, ContainerStore
    from pallet.engine.waiters import Waiters

log = logging.getLogger(__name__)


def _exit_time(bundle: Path) -> str:
    """When the monitor wrote the exit code (right even if palletd was away then)."""
    try:
        mtime = (bundle / "exit").stat().st_mtime
    except OSError:
        return now_rfc3339()
    return rfc3339_of(mtime)



class ExitHandling:
    if TYPE_CHECKING:
        store: ContainerStore
        runtime: Runtime
        waiters: Waiters
        plugins: list[ContainerPlugin]
        _locks: defaultdict[str, asyncio.Lock]

        def bundle(self, cid: str) -> Path: ...

        def _event(self, c: Container, action: str, **extra: str) -> None: ...

        async def _release_rootfs(self, c: Container) -> None: ...

        async def _quietly(self, call: Awaitable[Any], plugin: ContainerPlugin,
                           hook: str) -> None: ...

        async def _remove_locked(self, c: Container, volumes: bool = False) -> None: ...

    async def on_exit(self, cid: str) -> None:
        """The monitor reported an exit (from the exit-dir watcher or reconcile)."""
        c = self.store.get(cid)
        if c is None:
            return
        async with self._locks[cid]:
            c = self.store.get(cid)
            if c is None or c.status not in (State.RUNNING, State.PAUSED):
                return
            bundle = self.bundle(cid)
            code = self.runtime.exit_code(cid, bundle)
            c.oom_killed = self.runtime.oom_killed(bundle)
            c.status = next_state(Op.DIE, c.status, c.name)
            c.exit_code = 255 if code is None else code
            c.pid = 0
            c.finished_at = _exit_time(bundle)
            self.store.save(c)
            # the runtime's state and the plugins' resources (netavark) are independent
            await asyncio.gather(self._reap(c), self._release_plugins(c))
            if c.oom_killed:
                self._event(c, "oom")
            self._event(c, "die", exitCode=str(c.exit_code))
            self.waiters.exited(cid, c.exit_code)
            if c.host_config.AutoRemove:
                await self._remove_locked(c)
                return
            for plugin in self.plugins:
                await self._quietly(plugin.exited(c), plugin, "exited")

    async def _reap(self, c: Container) -> None:
        with contextlib.suppress(PalletError):
            await self.runtime.delete(c.id, force=True)
        await self._release_rootfs(c)

    async def _release_plugins(self, c: Container) -> None:
        for plugin in self.plugins:
            await self._quietly(plugin.released(c), plugin, "released")
