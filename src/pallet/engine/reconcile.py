"""Reconciliation at daemon start: records, the runtime and the disk made to agree after
palletd was away (a clean stop, or a kill -9 at any point).

Mixed into ``ContainerService``. For each record:

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
from collections import defaultdict
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pallet.engine.lifecycle import State
from pallet.errors import PalletError

if TYPE_CHECKING:
    from pallet.engine.plugins import ContainerPlugin
    from pallet.engine.ports import Rootfs, Runtime
    from pallet.engine.records import Container, ContainerStore
    from pallet.engine.rootfs_holds import RootfsHolds

log = logging.getLogger(__name__)

PAUSED_BY_COMMIT = "paused-by-commit"
"""A file in the bundle while a commit holds the container paused."""

_LIVE = ("running", "paused")
PARALLEL = 8


class Reconciling:
    if TYPE_CHECKING:
        store: ContainerStore
        runtime: Runtime
        rootfs: Rootfs
        plugins: list[ContainerPlugin]
        holds: RootfsHolds
        dir: Path
        _locks: defaultdict[str, asyncio.Lock]

        def bundle(self, cid: str) -> Path: ...

        def rootfs_path(self, cid: str) -> Path: ...

        async def on_exit(self, cid: str) -> None: ...

        async def remove(self, ref: str, force: bool, volumes: bool = False) -> None: ...

        async def _remove_locked(self, c: Container, volumes: bool = False) -> None: ...

        async def _quietly(self, call: Awaitable[Any], plugin: ContainerPlugin,
                           hook: str) -> None: ...

    async def reconcile(self) -> None:
        """After a daemon start: make records agree with the monitors and runtime."""
        states = {st.id: st for st in await self.runtime.list()}
        records = self.store.all()
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
                    await self.runtime.discard(cid, self.bundle(cid))
            await asyncio.to_thread(self._sweep_bundles, known)
            for cid in self.runtime.leftover_ids() - known:
                self.runtime.forget(cid)
        except (PalletError, OSError):
            log.exception("removing what belongs to no container failed")

    async def _reconcile_one(self, c: Container, st: Any) -> None:
        if c.build_step and c.status != State.REMOVING:  # (a removal cut short: below)
            if not c.running:
                async with self._locks[c.id]:
                    await self._cut_short(c, st)
            await self.remove(c.id, force=True)
            return
        # a restart policy may be starting it already (the daemon's start hooks): its lock
        async with self._locks[c.id]:
            latest = self.store.get(c.id)
            if latest is None:
                return
            c = latest
            if c.status == State.REMOVING:
                log.info("finishing the removal of %s", c.short_id)
                await self._cut_short(c, st)
                await self._remove_locked(c)
                return
            if c.status in (State.CREATED, State.EXITED):
                await self._cut_short(c, st)
                return
            if c.status not in (State.RUNNING, State.PAUSED, State.RESTARTING):
                return
            if await self._settled(c, st):
                return
        log.info("container %s exited while palletd was away", c.short_id)
        await self.on_exit(c.id)

    async def _settled(self, c: Container, st: Any) -> bool:
        """Settle a record that said running: True when done, False when its process is
        gone and the exit must be recorded (``on_exit``)."""
        bundle = self.bundle(c.id)
        marker = bundle / PAUSED_BY_COMMIT
        if st is not None and st.status in _LIVE and self.runtime.exit_code(c.id, bundle) is None:
            c.status = State.PAUSED if st.status == "paused" else State.RUNNING
            c.pid = st.pid
            if c.status == State.PAUSED and marker.exists():
                log.info("unpausing %s, paused by a commit that did not finish", c.short_id)
                await self.runtime.resume(c.id)
                c.status = State.RUNNING
            self.store.save(c)
            marker.unlink(missing_ok=True)
            return True
        marker.unlink(missing_ok=True)
        if st is not None and st.status == "created":  # the start never reached the process
            await self.runtime.discard(c.id, bundle)
        if c.status == State.RESTARTING:
            c.status = State.EXITED
            self.store.save(c)
            return True
        return False

    async def _cut_short(self, c: Container, st: Any) -> None:
        """Undo what a start of a container that is not running left behind."""
        rootfs = self.rootfs_path(c.id)
        mounted = await asyncio.to_thread(rootfs.is_mount)
        if st is None and not mounted:
            return
        log.info("cleaning up the interrupted start of %s", c.short_id)
        if st is not None:
            await self.runtime.discard(c.id, self.bundle(c.id))
        if mounted and not self.holds.held(c.id):
            await asyncio.to_thread(self.rootfs.unmount, rootfs)
        for plugin in self.plugins:
            await self._quietly(plugin.released(c), plugin, "released")

    def _sweep_bundles(self, known: set[str]) -> None:
        """Bundle dirs with no record (a create or removal cut short): unmount, delete."""
        if not self.dir.is_dir():
            return
        for d in self.dir.iterdir():
            if d.name in known or not d.is_dir():
                continue
            rootfs = d / "rootfs"
            with contextlib.suppress(PalletError, OSError):
                if rootfs.is_mount():
                    self.rootfs.unmount(rootfs)
            if rootfs.is_mount():
                log.warning("leaving %s: its rootfs is still mounted", d)
                continue
            shutil.rmtree(d, ignore_errors=True)
