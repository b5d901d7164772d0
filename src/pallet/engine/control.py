"""Signals and the freezer: stop, kill, restart, pause, unpause.

Mixed into ``ContainerService``. ``stop`` sends the stop signal, waits the
grace period for the exit the monitor reports, then sends SIGKILL (exit codes
143 and 137 come from the process, not from here). A paused container is
thawed first, since a frozen cgroup holds its signals.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal as signals
from collections import defaultdict
from typing import TYPE_CHECKING

from pallet.engine.lifecycle import Op, State, next_state
from pallet.errors import Conflict, InvalidArgument, PalletError
from pallet.notation.signals import parse_signal

if TYPE_CHECKING:
    from pallet.engine.ports import Runtime
    from pallet.engine.records import Container, ContainerStore
    from pallet.engine.waiters import Waiters


def stop_signal(c: Container) -> int:
    """The container's stop signal; SIGTERM when a record made before create checked it
    holds one that is not a signal (it must still be stoppable)."""
    try:
        return parse_signal(c.config.StopSignal or "SIGTERM")
    except InvalidArgument:
        return int(signals.SIGTERM)



class ProcessControl:
    if TYPE_CHECKING:
        store: ContainerStore
        runtime: Runtime
        waiters: Waiters
        _locks: defaultdict[str, asyncio.Lock]

        def resolve(self, ref: str) -> Container: ...

        def _event(self, c: Container, action: str, **extra: str) -> None: ...

        async def start(self, ref: str) -> None: ...

    async def stop(self, ref: str, timeout: int | None, signal: str | None) -> None:
        given = parse_signal(signal) if signal else None
        c = self.resolve(ref)
        async with self._locks[c.id]:
            c = self.resolve(c.id)
            next_state(Op.STOP, c.status, c.name)
            c.manually_stopped = True
            if c.status == State.RESTARTING:
                # Between a die and the policy's next start: nothing runs to signal.
                c.status = State.EXITED
                self.store.save(c)
                self.waiters.exited(c.id, c.exit_code)
                self._event(c, "stop")
                return
            self.store.save(c)
            if c.status == State.PAUSED:
                await self.runtime.resume(c.id)
            exited = self.waiters.on_exit(c.id)
        sig = given if given is not None else stop_signal(c)
        grace = timeout if timeout is not None else (
            c.config.StopTimeout if c.config.StopTimeout is not None else 10)
        with contextlib.suppress(PalletError):
            await self.runtime.kill(c.id, sig)
        try:
            await asyncio.wait_for(asyncio.shield(exited), None if grace < 0 else grace)
        except TimeoutError:
            with contextlib.suppress(PalletError):
                await self.runtime.kill(c.id, signals.SIGKILL)
            try:
                await asyncio.wait_for(exited, 30)
            except TimeoutError:
                raise Conflict(f"container {c.name} did not exit after SIGKILL") from None
        self._event(c, "stop")

    async def kill(self, ref: str, signal: str) -> None:
        c = self.resolve(ref)
        sig = parse_signal(signal or "SIGKILL")
        async with self._locks[c.id]:
            c = self.resolve(c.id)
            next_state(Op.KILL, c.status, c.name)
            exited = self.waiters.on_exit(c.id)
            if sig == signals.SIGKILL:
                c.manually_stopped = True
                self.store.save(c)
            await self.runtime.kill(c.id, sig)
            if c.status == State.PAUSED and sig in (signals.SIGKILL, signals.SIGTERM):
                # A frozen cgroup holds signals until it thaws: thaw it, as dockerd does.
                await self.runtime.resume(c.id)
                c.status = State.RUNNING
                self.store.save(c)
        self._event(c, "kill", signal=str(sig))
        if sig == signals.SIGKILL:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(exited, 10)

    async def restart(self, ref: str, timeout: int | None, signal: str | None) -> None:
        c = self.resolve(ref)
        if c.running:
            await self.stop(c.id, timeout, signal)
        await self.start(c.id)
        self._event(self.resolve(c.id), "restart")

    async def pause(self, ref: str) -> None:
        c = self.resolve(ref)
        async with self._locks[c.id]:
            c = self.resolve(c.id)
            c.status = next_state(Op.PAUSE, c.status, c.name)
            await self.runtime.pause(c.id)
            self.store.save(c)
        self._event(c, "pause")

    async def unpause(self, ref: str) -> None:
        c = self.resolve(ref)
        async with self._locks[c.id]:
            c = self.resolve(c.id)
            c.status = next_state(Op.UNPAUSE, c.status, c.name)
            await self.runtime.resume(c.id)
            self.store.save(c)
        self._event(c, "unpause")
