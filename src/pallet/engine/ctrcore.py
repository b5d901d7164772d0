"""What the container service's collaborators share, and nothing else.

The container service is composed (``engine/containers.py``): a starter
(``starting``), a process controller (``control``), an exit handler (``exits``), a
remover (``removal``) and a reconciler (``reconcile``), each built by the daemon's
wiring over one :class:`ContainerCore`: the records, the rootfs and runtime ports,
the event bus, the container directories, the plugins, the waiters and one lock per
container. State changes of a container happen under its lock and follow
``lifecycle``'s table.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pallet.engine.events import EventBus
from pallet.engine.plugins import ContainerPlugin
from pallet.engine.ports import Rootfs, Runtime
from pallet.engine.records import Container, ContainerStore
from pallet.engine.rootfs_holds import RootfsHolds
from pallet.engine.specbuild import HostDefaults
from pallet.engine.waiters import Waiters
from pallet.snapshots.mount import is_mounted

log = logging.getLogger(__name__)

PreStartHook = Callable[[Container], Any]


class ContainerCore:
    def __init__(self, store: ContainerStore, rootfs: Rootfs, runtime: Runtime,
                 events: EventBus, containers_dir: Path, host: HostDefaults,
                 runtime_name: str = "crun", plugins: list[ContainerPlugin] | None = None
                 ) -> None:
        self.store = store
        self.rootfs = rootfs
        self.runtime = runtime
        self.events = events
        self.dir = containers_dir
        self.host = host
        self.runtime_name = runtime_name
        self.waiters = Waiters()
        self.plugins: list[ContainerPlugin] = list(plugins or [])
        self.locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        # hooks to run after the monitor exists and before the process runs (attach)
        self.pre_start: dict[str, list[PreStartHook]] = defaultdict(list)
        # cp and export of a stopped container mount its rootfs for as long as they read
        self.holds = RootfsHolds(self.rootfs_path, rootfs.mount, rootfs.unmount, self.running)

    # -- paths -------------------------------------------------------------
    def bundle(self, cid: str) -> Path:
        return self.dir / cid

    def rootfs_path(self, cid: str) -> Path:
        return self.bundle(cid) / "rootfs"

    def log_path(self, cid: str) -> Path:
        return self.bundle(cid) / "ctr.log"

    # -- records and events --------------------------------------------------
    def running(self, cid: str) -> bool:
        c = self.store.get(cid)
        return c is not None and c.running

    def resolve(self, ref: str) -> Container:
        return self.store.resolve(ref)

    def event(self, c: Container, action: str, **extra: str) -> None:
        attrs = {"name": c.name, "image": c.config.Image, **(c.config.Labels or {}), **extra}
        self.events.publish("container", action, c.id, attrs)

    async def quietly(self, call: Awaitable[Any], plugin: ContainerPlugin, hook: str) -> None:
        """Run a plugin hook whose failure must not undo what already happened."""
        try:
            await call
        except Exception:
            log.exception("plugin %s failed in %s", plugin.name, hook)

    async def each_plugin(self, hook: str, c: Container, *args: Any) -> None:
        """``hook`` of every plugin, in order, each failure logged and passed over."""
        for plugin in self.plugins:
            await self.quietly(getattr(plugin, hook)(c, *args), plugin, hook)

    async def release_rootfs(self, c: Container) -> None:
        rootfs = self.rootfs_path(c.id)
        if is_mounted(rootfs) and not self.holds.held(c.id):  # else the last reader unmounts
            await asyncio.to_thread(self.rootfs.unmount, rootfs)
