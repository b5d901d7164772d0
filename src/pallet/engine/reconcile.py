"""Reconciliation at daemon start: records, the runtime and the disk made to agree after
palletd was away (a clean stop, or a kill -9 at any point).

:class:`Reconciler` is the container service's collaborator for it. For each record:

- running/paused/restarting: alive in the runtime stays (a pause a commit made is
  undone: the commit died with the daemon); a process that is gone, or that never got
  past the runtime's ``created`` (the start was cut short), is recorded as exited
  with the code its monitor wrote, so a later ``start`` really starts it;
- created/exited with runtime state or a mounted root filesystem: a start was cut
  short; its process, monitor, cgroup, mount and network endpoint go;
- removing: the removal is finished; build step containers are removed (the build
  that ran them died with the daemon).

Then what belongs to no record goes: runtime containers, bundle directories, and
the monitor's exit files and socket links.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from typing import Any

from pallet.engine.ctrcore import ContainerCore
from pallet.engine.exits import ExitHandler
from pallet.engine.lifecycle import State
from pallet.engine.records import Container
from pallet.engine.removal import Removal
from pallet.errors import PalletError
from pallet.snapshots.mount import is_mounted

log = logging.getLogger(__name__)

PAUSED_BY_COMMIT = "paused-by-commit"
"""A file in the bundle while a commit holds the container paused."""

_LIVE = ("running", "paused")
PARALLEL = 8


class Reconciler:
    def __init__(self, core: ContainerCore, removal: Removal, exits: ExitHandler) -> None:
        self.core = core
        self.removal = removal
        self.exits = exits

    async def reconcile(self) -> None:
        """After a daemon start: make records agree with the monitors and runtime."""
        states = {st.id: st for st in await self.core.runtime.list()}
        records = self.core.store.all()
        # independent per container (each under its own lock); ending a start cut short
        # waits for its monitor, so many of them run side by side
        limit = asyncio.Semaphore(PARALLEL)

        async def one(c: Container) -> None:
            async with limit:
                try:
                    await self._reconcile_one(c, states.get(c.id))
                except Exception:
                    log.exception("reconciling container %s failed", c.short_id)

        await asyncio.gather(*(one(c) for c in records))
        known = {c.id for c in records}
        try:  # what belongs to no record: never a reason for palletd not to start
            for cid in states:
                if cid not in known:
                    log.info("removing runtime container %s that has no record", cid[:12])
                    await self.core.runtime.discard(cid, self.core.bundle(cid))
            await asyncio.to_thread(self._sweep_bundles, known)
            for cid in self.core.runtime.leftover_ids() - known:
                self.core.runtime.forget(cid)
        except (PalletError, OSError):
            log.exception("removing what belongs to no container failed")

    async def _reconcile_one(self, c: Container, st: Any) -> None:
        if c.build_step and c.status != State.REMOVING:  # (a removal cut short: below)
            if not c.running:
                async with self.core.locks[c.id]:
                    await self._cut_short(c, st)
            await self.removal.remove(c.id, force=True)
            return
        # a restart policy may be starting it already (the daemon's start hooks): its lock
        async with self.core.locks[c.id]:
            latest = self.core.store.get(c.id)
            if latest is None:
                return
            c = latest
            if c.status == State.REMOVING:
                log.info("finishing the removal of %s", c.short_id)
                await self._cut_short(c, st)
                await self.removal.remove_locked(c)
                return
            if c.status in (State.CREATED, State.EXITED):
                await self._cut_short(c, st)
                return
            if c.status not in (State.RUNNING, State.PAUSED, State.RESTARTING):
                return
            if await self._settled(c, st):
                return
        log.info("container %s exited while palletd was away", c.short_id)
        await self.exits.on_exit(c.id)

    async def _settled(self, c: Container, st: Any) -> bool:
        """Settle a record that said running: True when done, False when its process is
        gone and the exit must be recorded (``on_exit``)."""
        bundle = self.core.bundle(c.id)
        marker = bundle / PAUSED_BY_COMMIT
        alive = st is not None and st.status in _LIVE
        if alive and self.core.runtime.exit_code(c.id, bundle) is None:
            c.status = State.PAUSED if st.status == "paused" else State.RUNNING
            c.pid = st.pid
            if c.status == State.PAUSED and marker.exists():
                log.info("unpausing %s, paused by a commit that did not finish", c.short_id)
                await self.core.runtime.resume(c.id)
                c.status = State.RUNNING
            self.core.store.save(c)
            marker.unlink(missing_ok=True)
            return True
        marker.unlink(missing_ok=True)
        if st is not None and st.status == "created":  # the start never reached the process
            await self.core.runtime.discard(c.id, bundle)
        if c.status == State.RESTARTING:
            c.status = State.EXITED
            self.core.store.save(c)
            return True
        return False

    async def _cut_short(self, c: Container, st: Any) -> None:
        """Undo what a start of a container that is not running left behind."""
        rootfs = self.core.rootfs_path(c.id)
        mounted = await asyncio.to_thread(is_mounted, rootfs)
        if st is None and not mounted:
            return
        log.info("cleaning up the interrupted start of %s", c.short_id)
        if st is not None:
            await self.core.runtime.discard(c.id, self.core.bundle(c.id))
        if mounted and not self.core.holds.held(c.id):
            await asyncio.to_thread(self.core.rootfs.unmount, rootfs)
        await self.core.each_plugin("released", c)

    def _sweep_bundles(self, known: set[str]) -> None:
        """Bundle dirs with no record (a create or removal cut short): unmount, delete."""
        if not self.core.dir.is_dir():
            return
        for d in self.core.dir.iterdir():
            if d.name in known or not d.is_dir():
                continue
            rootfs = d / "rootfs"
            with contextlib.suppress(PalletError, OSError):
                if is_mounted(rootfs):
                    self.core.rootfs.unmount(rootfs)
            if is_mounted(rootfs):
                log.warning("leaving %s: its rootfs is still mounted", d)
                continue
            shutil.rmtree(d, ignore_errors=True)
