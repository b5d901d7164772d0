"""Removing a container: ``docker rm`` (with ``-f``) and the removals that follow an
exit or a failed start of a ``--rm`` container, or a removal a crash cut short.

A running container is killed first, with the ``kill`` and ``die`` events Docker sends
(a ``compose logs -f`` learns from ``die`` that it stopped). The record goes to
``removing`` first and is saved, so a palletd killed half-way finishes the removal at
its next start (``reconcile``); the plugins release and remove what they hold, the
rootfs snapshot goes, then the bundle and the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal as signals

from pallet.engine.ctrcore import ContainerCore
from pallet.engine.exitreason import exit_reason
from pallet.engine.lifecycle import Op, State, next_state
from pallet.engine.records import Container
from pallet.errors import PalletError


class Removal:
    def __init__(self, core: ContainerCore) -> None:
        self.core = core

    async def remove(self, ref: str, force: bool, volumes: bool = False) -> None:
        core = self.core
        c = core.resolve(ref)
        async with core.locks[c.id]:
            c = core.resolve(c.id)
            next_state(Op.FORCE_REMOVE if force else Op.REMOVE, c.status, c.name)
            if c.running:
                if c.status == State.PAUSED:
                    with contextlib.suppress(PalletError):
                        await core.runtime.kill(c.id, signals.SIGKILL)
                # a forced delete kills what still runs (SIGKILL) and drops the state: one
                # runtime call instead of kill then delete
                with contextlib.suppress(PalletError):
                    await core.runtime.delete(c.id, force=True)
                core.event(c, "kill", signal=str(int(signals.SIGKILL)))
                c.exit_code = 137
                core.event(c, "die", exitCode="137", exitReason=exit_reason(137, False))
                core.waiters.exited(c.id, 137)
                await core.each_plugin("released", c)
            await self.remove_locked(c, volumes)

    async def remove_locked(self, c: Container, volumes: bool = False) -> None:
        """Remove ``c``, whose lock the caller holds."""
        core = self.core
        c.status = State.REMOVING
        core.store.save(c)
        await core.release_rootfs(c)
        await core.each_plugin("removed", c, volumes)
        try:
            await asyncio.to_thread(core.rootfs.release, c.id)
        except Exception as e:
            c.status = State.DEAD
            c.error = f"removal failed: {e}"
            core.store.save(c)
            raise
        shutil.rmtree(core.bundle(c.id), ignore_errors=True)
        core.runtime.forget(c.id)
        core.store.delete(c.id)
        core.locks.pop(c.id, None)
        core.event(c, "destroy")
        core.waiters.removed(c.id, c.exit_code)
