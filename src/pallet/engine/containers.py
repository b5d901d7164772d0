"""Containers: create, rename, wait, prune and resize; start (``starting``), stop and
signals (``control``), exits (``exits``), removal (``removal``) and reconciliation
(``reconcile``) are the collaborators the service is composed of (``ctrcore``).

State changes follow ``lifecycle``'s table and happen under a per-container
lock; records are saved after each change, so a crash leaves a record that
``reconcile`` can correct from what conmon and the runtime report.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Callable
from typing import Protocol

from pallet.api.models import CreateRequest, HostConfig
from pallet.api.responses import WaitResponse
from pallet.engine.configmerge import merge_config, process_args
from pallet.engine.control import ProcessControl
from pallet.engine.createcheck import check_create, host_limits
from pallet.engine.ctrcore import ContainerCore
from pallet.engine.exits import ExitHandler
from pallet.engine.lifecycle import State
from pallet.engine.ports import ImageView
from pallet.engine.reconcile import Reconciler
from pallet.engine.records import Container, now_rfc3339
from pallet.engine.removal import Removal
from pallet.engine.starting import Starter
from pallet.errors import Conflict, InvalidArgument, NotFound
from pallet.system.ids import new_id, random_name, valid_name

log = logging.getLogger(__name__)


class ImageLookup(Protocol):
    def resolve(self, ref: str) -> ImageView: ...


class ContainerService:
    """The engine's containers, composed: create, rename, wait, prune and resize here;
    start, stop and signals, exits, removal and reconciliation by the collaborators
    the wiring hands in, all over one :class:`~pallet.engine.ctrcore.ContainerCore`."""

    def __init__(self, core: ContainerCore, images: ImageLookup, starter: Starter,
                 control: ProcessControl, exits: ExitHandler, removal: Removal,
                 reconciler: Reconciler) -> None:
        self.core = core
        self.images = images
        self.starter = starter
        self.control = control
        self.exits = exits
        self.removal = removal
        self.reconciler = reconciler
        # what the parts of the daemon read (the same objects as the core's)
        self.store = core.store
        self.rootfs = core.rootfs
        self.runtime = core.runtime
        self.events = core.events
        self.host = core.host
        self.runtime_name = core.runtime_name
        self.waiters = core.waiters
        self.plugins = core.plugins
        self.holds = core.holds
        self.bundle = core.bundle
        self.rootfs_path = core.rootfs_path
        self.log_path = core.log_path
        self.resolve = core.resolve
        self.event = core.event
        # the lifecycle verbs, each one collaborator's
        self.start = starter.start
        self.add_pre_start = starter.add_pre_start
        self.update_dns = starter.update_dns
        self.stop = control.stop
        self.kill = control.kill
        self.restart = control.restart
        self.pause = control.pause
        self.unpause = control.unpause
        self.on_exit = exits.on_exit
        self.remove = removal.remove
        self.reconcile = reconciler.reconcile

    # -- create --------------------------------------------------------------
    async def create(self, name: str | None, req: CreateRequest, *,
                     build_step: bool = False) -> tuple[str, list[str]]:
        if not req.Image:
            raise InvalidArgument("config cannot be empty in order to create a container")
        check_create(req, host_limits())
        if name is not None and name != "":
            name = name.removeprefix("/")
            if not valid_name(name):
                raise InvalidArgument(
                    f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
                )
        image = self.images.resolve(req.Image)
        cid = new_id()
        config = merge_config(req, image.run_config, cid, self.host.host_name())
        args = process_args(config)
        host_config = req.HostConfig or HostConfig()
        runtime = host_config.Runtime or req.Runtime or self.runtime_name
        if runtime not in ("crun", "runc"):
            raise InvalidArgument(f"unknown or invalid runtime name: {runtime}")
        host_config.Runtime = runtime
        c = Container(
            id=cid, name=name or self._free_name(), image_id=image.id, created=now_rfc3339(),
            config=config, host_config=host_config, networking=req.NetworkingConfig,
            path=args[0], args=args[1:], runtime=runtime, build_step=build_step,
        )
        bundle = self.bundle(cid)
        bundle.mkdir(parents=True, mode=0o700)
        added = False
        try:
            async with self.rootfs.guard():  # the store's GC sees the snapshot and its record
                await asyncio.to_thread(self.rootfs.prepare, cid, image.id)
                self.store.add(c)
            added = True
            for plugin in self.plugins:
                await plugin.created(c)
            self.store.save(c)
        except BaseException:
            if added:
                self.store.delete(cid)
            with contextlib.suppress(Exception):
                self.rootfs.release(cid)
            shutil.rmtree(bundle, ignore_errors=True)
            raise
        self.event(c, "create")
        return cid, []

    def _free_name(self) -> str:
        taken = {c.name for c in self.store.all()}
        while True:
            name = random_name()
            if name not in taken:
                return name

    async def rename(self, ref: str, new_name: str) -> None:
        c = self.resolve(ref)
        new_name = new_name.removeprefix("/")
        if not valid_name(new_name):
            raise InvalidArgument(
                f"Invalid container name ({new_name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
            )
        if new_name == c.name:
            raise InvalidArgument("Renaming a container with the same name as its current name")
        async with self.core.locks[c.id]:
            c = self.resolve(c.id)
            old = c.name
            c.name = new_name
            self.store.save(c)
        self.event(c, "rename", oldName=f"/{old}")

    # -- wait ------------------------------------------------------------------
    async def wait(self, ref: str, condition: str) -> WaitResponse:
        c = self.resolve(ref)
        condition = condition or "not-running"
        if condition not in ("not-running", "next-exit", "removed"):
            raise InvalidArgument(f"invalid condition: {condition!r}")
        if condition == "removed":
            fut = self.waiters.on_removed(c.id)
        elif condition == "not-running" and not c.running and c.status != State.REMOVING:
            return WaitResponse(StatusCode=c.exit_code)
        else:
            fut = self.waiters.on_exit(c.id)
        code = await fut
        return WaitResponse(StatusCode=code)

    async def prune(self, keep: Callable[[Container], bool]) -> tuple[list[str], int]:
        deleted: list[str] = []
        space = 0
        for c in self.store.all():
            if c.running or c.status == State.RESTARTING or c.build_step or keep(c):
                continue
            try:
                space += self.rootfs.usage(c.id)
            except Exception:
                pass
            try:
                await self.remove(c.id, force=False)
            except (Conflict, NotFound):
                continue
            deleted.append(c.id)
        return deleted, space

    async def resize(self, ref: str, height: int, width: int) -> None:
        c = self.resolve(ref)
        if not c.running:
            raise Conflict(f"Container {c.id} is not running")
        if c.config.Tty:
            await self.runtime.resize(self.bundle(c.id), height, width)
