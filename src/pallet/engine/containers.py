"""Containers: create, start (``starting``), stop (``control``), remove, and exits
(``exits``).

State changes follow ``lifecycle``'s table and happen under a per-container
lock; records are saved after each change, so a crash leaves a record that
``reconcile`` can correct from what conmon and the runtime report.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import signal as signals
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from pallet.api.models import CreateRequest, HostConfig
from pallet.engine.configmerge import merge_config, process_args
from pallet.engine.control import ProcessControl
from pallet.engine.createcheck import check_create, host_limits
from pallet.engine.events import EventBus
from pallet.engine.exits import ExitHandling
from pallet.engine.lifecycle import Op, State, next_state
from pallet.engine.plugins import ContainerPlugin
from pallet.engine.ports import ImageView, Rootfs, Runtime
from pallet.engine.reconcile import Reconciling
from pallet.engine.records import Container, ContainerStore, now_rfc3339
from pallet.engine.rootfs_holds import RootfsHolds
from pallet.engine.specbuild import HostDefaults
from pallet.engine.starting import PreStartHook, Starting
from pallet.engine.waiters import Waiters
from pallet.errors import Conflict, InvalidArgument, NotFound, PalletError
from pallet.system.ids import new_id, random_name, valid_name

log = logging.getLogger(__name__)


class ImageLookup(Protocol):
    def resolve(self, ref: str) -> ImageView: ...


class ContainerService(Starting, ProcessControl, ExitHandling, Reconciling):
    def __init__(self, store: ContainerStore, images: ImageLookup, rootfs: Rootfs,
                 runtime: Runtime, events: EventBus, containers_dir: Path,
                 host: HostDefaults, runtime_name: str = "crun",
                 plugins: list[ContainerPlugin] | None = None) -> None:
        self.store = store
        self.images = images
        self.rootfs = rootfs
        self.runtime = runtime
        self.events = events
        self.dir = containers_dir
        self.host = host
        self.runtime_name = runtime_name
        self.waiters = Waiters()
        self.plugins: list[ContainerPlugin] = list(plugins or [])
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._pre_start: dict[str, list[PreStartHook]] = defaultdict(list)
        # cp and export of a stopped container mount its rootfs for as long as they read
        self.holds = RootfsHolds(self.rootfs_path, rootfs.mount, rootfs.unmount, self._running)

    # -- paths -------------------------------------------------------------
    def bundle(self, cid: str) -> Path:
        return self.dir / cid

    def rootfs_path(self, cid: str) -> Path:
        return self.bundle(cid) / "rootfs"

    def log_path(self, cid: str) -> Path:
        return self.bundle(cid) / "ctr.log"

    def _running(self, cid: str) -> bool:
        c = self.store.get(cid)
        return c is not None and c.running

    def resolve(self, ref: str) -> Container:
        return self.store.resolve(ref)

    def _event(self, c: Container, action: str, **extra: str) -> None:
        attrs = {"name": c.name, "image": c.config.Image, **(c.config.Labels or {}), **extra}
        self.events.publish("container", action, c.id, attrs)

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
        config = merge_config(req, image.config, cid, self.host.host_name())
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
        self._event(c, "create")
        return cid, []

    def _free_name(self) -> str:
        taken = {c.name for c in self.store.all()}
        while True:
            name = random_name()
            if name not in taken:
                return name

    async def _quietly(self, call: Any, plugin: ContainerPlugin, hook: str) -> None:
        """Run a hook whose failure must not undo what already happened."""
        try:
            await call
        except Exception:
            log.exception("plugin %s failed in %s", plugin.name, hook)

    # -- remove / rename -------------------------------------------------------------
    async def remove(self, ref: str, force: bool, volumes: bool = False) -> None:
        c = self.resolve(ref)
        async with self._locks[c.id]:
            c = self.resolve(c.id)
            next_state(Op.FORCE_REMOVE if force else Op.REMOVE, c.status, c.name)
            if c.running:
                with contextlib.suppress(PalletError):
                    await self.runtime.kill(c.id, signals.SIGKILL)
                with contextlib.suppress(PalletError):
                    await self.runtime.delete(c.id, force=True)
                c.exit_code = 137
                self.waiters.exited(c.id, 137)
                for plugin in self.plugins:
                    await self._quietly(plugin.released(c), plugin, "released")
            await self._remove_locked(c, volumes)

    async def _remove_locked(self, c: Container, volumes: bool = False) -> None:
        c.status = State.REMOVING
        self.store.save(c)
        await self._release_rootfs(c)
        for plugin in self.plugins:
            await self._quietly(plugin.removed(c, volumes), plugin, "removed")
        try:
            await asyncio.to_thread(self.rootfs.release, c.id)
        except Exception as e:
            c.status = State.DEAD
            c.error = f"removal failed: {e}"
            self.store.save(c)
            raise
        shutil.rmtree(self.bundle(c.id), ignore_errors=True)
        self.runtime.forget(c.id)
        self.store.delete(c.id)
        self._locks.pop(c.id, None)
        self._event(c, "destroy")
        self.waiters.removed(c.id, c.exit_code)

    async def rename(self, ref: str, new_name: str) -> None:
        c = self.resolve(ref)
        new_name = new_name.removeprefix("/")
        if not valid_name(new_name):
            raise InvalidArgument(
                f"Invalid container name ({new_name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
            )
        if new_name == c.name:
            raise InvalidArgument("Renaming a container with the same name as its current name")
        async with self._locks[c.id]:
            c = self.resolve(c.id)
            old = c.name
            c.name = new_name
            self.store.save(c)
        self._event(c, "rename", oldName=f"/{old}")

    # -- wait ------------------------------------------------------------------
    async def wait(self, ref: str, condition: str) -> dict[str, Any]:
        c = self.resolve(ref)
        condition = condition or "not-running"
        if condition not in ("not-running", "next-exit", "removed"):
            raise InvalidArgument(f"invalid condition: {condition!r}")
        if condition == "removed":
            fut = self.waiters.on_removed(c.id)
        elif condition == "not-running" and not c.running and c.status != State.REMOVING:
            return {"StatusCode": c.exit_code, "Error": None}
        else:
            fut = self.waiters.on_exit(c.id)
        code = await fut
        return {"StatusCode": code, "Error": None}

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
