"""What the monitor reports: a container's exit (reconciliation at start: ``reconcile``).

:class:`ExitHandler` is the container service's collaborator for it. An exit is recorded
with the code and time conmon wrote (so an exit that happened while palletd was away
shows its real code and time), the root filesystem is released, waiters and plugins are
told, and ``--rm`` containers are removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from pallet.engine.ctrcore import ContainerCore
from pallet.engine.exitreason import exit_reason
from pallet.engine.lifecycle import Op, State, next_state
from pallet.engine.records import Container, now_rfc3339
from pallet.engine.removal import Removal
from pallet.errors import PalletError
from pallet.notation.times import rfc3339_of

log = logging.getLogger(__name__)


def _exit_time(bundle: Path) -> str:
    """When the monitor wrote the exit code (right even if palletd was away then)."""
    try:
        mtime = (bundle / "exit").stat().st_mtime
    except OSError:
        return now_rfc3339()
    return rfc3339_of(mtime)



class ExitHandler:
    def __init__(self, core: ContainerCore, removal: Removal) -> None:
        self.core = core
        self.removal = removal

    async def on_exit(self, cid: str) -> None:
        """The monitor reported an exit (from the exit-dir watcher or reconcile)."""
        c = self.core.store.get(cid)
        if c is None:
            return
        async with self.core.locks[cid]:
            c = self.core.store.get(cid)
            if c is None or c.status not in (State.RUNNING, State.PAUSED):
                return
            bundle = self.core.bundle(cid)
            code = self.core.runtime.exit_code(cid, bundle)
            c.oom_killed = self.core.runtime.oom_killed(bundle)
            c.status = next_state(Op.DIE, c.status, c.name)
            c.exit_code = 255 if code is None else code
            c.pid = 0
            c.finished_at = _exit_time(bundle)
            self.core.store.save(c)
            # the runtime's state and the plugins' resources (netavark) are independent
            await asyncio.gather(self._reap(c), self.core.each_plugin("released", c))
            if c.oom_killed:
                self.core.event(c, "oom")
            self.core.event(c, "die", exitCode=str(c.exit_code),
                            exitReason=exit_reason(c.exit_code, c.oom_killed))
            self.core.waiters.exited(cid, c.exit_code)
            if c.host_config.AutoRemove:
                await self.removal.remove_locked(c)
                return
            await self.core.each_plugin("exited", c)

    async def _reap(self, c: Container) -> None:
        with contextlib.suppress(PalletError):
            await self.core.runtime.delete(c.id, force=True)
        await self.core.release_rootfs(c)
