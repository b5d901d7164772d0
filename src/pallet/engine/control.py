"""Signals and the freezer: stop, kill, restart, pause, unpause.

:class:`ProcessControl` is the container service's collaborator for them. ``stop`` sends
the stop signal, waits the grace period for the exit the monitor reports, then sends
SIGKILL (exit codes 143 and 137 come from the process, not from here). A paused
container is thawed first, since a frozen cgroup holds its signals.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal as signals

from pallet.engine.ctrcore import ContainerCore
from pallet.engine.lifecycle import Op, State, next_state
from pallet.engine.records import Container
from pallet.engine.starting import Starter
from pallet.errors import Conflict, InvalidArgument, PalletError
from pallet.notation.signals import parse_signal


def stop_signal(c: Container) -> int:
    """The container's stop signal; SIGTERM when a record made before create checked it
    holds one that is not a signal (it must still be stoppable)."""
    try:
        return parse_signal(c.config.StopSignal or "SIGTERM")
    except InvalidArgument:
        return int(signals.SIGTERM)



class ProcessControl:
    def __init__(self, core: ContainerCore, starter: Starter) -> None:
        self.core = core
        self.starter = starter

    async def stop(self, ref: str, timeout: int | None, signal: str | None) -> None:
        given = parse_signal(signal) if signal else None
        c = self.core.resolve(ref)
        async with self.core.locks[c.id]:
            c = self.core.resolve(c.id)
            next_state(Op.STOP, c.status, c.name)
            c.manually_stopped = True
            if c.status == State.RESTARTING:
                # Between a die and the policy's next start: nothing runs to signal.
                c.status = State.EXITED
                self.core.store.save(c)
                self.core.waiters.exited(c.id, c.exit_code)
                self.core.event(c, "stop")
                return
            self.core.store.save(c)
            if c.status == State.PAUSED:
                await self.core.runtime.resume(c.id)
            exited = self.core.waiters.on_exit(c.id)
        sig = given if given is not None else stop_signal(c)
        grace = timeout if timeout is not None else (
            c.config.StopTimeout if c.config.StopTimeout is not None else 10)
        with contextlib.suppress(PalletError):
            await self.core.runtime.kill(c.id, sig)
        try:
            await asyncio.wait_for(asyncio.shield(exited), None if grace < 0 else grace)
        except TimeoutError:
            with contextlib.suppress(PalletError):
                await self.core.runtime.kill(c.id, signals.SIGKILL)
            try:
                await asyncio.wait_for(exited, 30)
            except TimeoutError:
                raise Conflict(f"container {c.name} did not exit after SIGKILL") from None
        self.core.event(c, "stop")

    async def kill(self, ref: str, signal: str) -> None:
        c = self.core.resolve(ref)
        sig = parse_signal(signal or "SIGKILL")
        async with self.core.locks[c.id]:
            c = self.core.resolve(c.id)
            next_state(Op.KILL, c.status, c.name)
            exited = self.core.waiters.on_exit(c.id)
            if sig == signals.SIGKILL:
                c.manually_stopped = True
                self.core.store.save(c)
            await self.core.runtime.kill(c.id, sig)
            if c.status == State.PAUSED and sig in (signals.SIGKILL, signals.SIGTERM):
                # A frozen cgroup holds signals until it thaws: thaw it, as dockerd does.
                await self.core.runtime.resume(c.id)
                c.status = State.RUNNING
                self.core.store.save(c)
        self.core.event(c, "kill", signal=str(sig))
        if sig == signals.SIGKILL:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(exited, 10)

    async def restart(self, ref: str, timeout: int | None, signal: str | None) -> None:
        c = self.core.resolve(ref)
        if c.running:
            await self.stop(c.id, timeout, signal)
        await self.starter.start(c.id)
        self.core.event(self.core.resolve(c.id), "restart")

    async def pause(self, ref: str) -> None:
        c = self.core.resolve(ref)
        async with self.core.locks[c.id]:
            c = self.core.resolve(c.id)
            c.status = next_state(Op.PAUSE, c.status, c.name)
            await self.core.runtime.pause(c.id)
            self.core.store.save(c)
        self.core.event(c, "pause")

    async def unpause(self, ref: str) -> None:
        c = self.core.resolve(ref)
        async with self.core.locks[c.id]:
            c = self.core.resolve(c.id)
            c.status = next_state(Op.UNPAUSE, c.status, c.name)
            await self.core.runtime.resume(c.id)
            self.core.store.save(c)
        self.core.event(c, "unpause")
