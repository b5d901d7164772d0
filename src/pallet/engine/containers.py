"""Containers: create, start, stop, remove, and what the runtime tells us.

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
from pallet.engine.etcfiles import refresh_etc_files, write_etc_files
from pallet.engine.events import EventBus
from pallet.engine.exits import ExitHandling
from pallet.engine.lifecycle import Op, State, next_state
from pallet.engine.plugins import ContainerPlugin, StartContext
from pallet.engine.ports import ImageView, Rootfs, Runtime
from pallet.engine.records import Container, ContainerStore, now_rfc3339
from pallet.engine.specbuild import HostDefaults, Resolved, build_spec_input
from pallet.engine.waiters import Waiters
from pallet.errors import CommandFailed, Conflict, InvalidArgument, NotFound, PalletError
from pallet.runtime.spec import generate_spec
from pallet.runtime.users import resolve_user
from pallet.system.atomic import write_json
from pallet.system.ids import new_id, random_name, valid_name
from pallet.system.securejoin import read_inside

log = logging.getLogger(__name__)

PreStartHook = Callable[[Container], Any]


class ImageLookup(Protocol):
    def resolve(self, ref: str) -> ImageView: ...


def start_failure_code(message: str) -> int:
    """Docker's exit code for a process that could not be started."""
    text = message.lower()
    if "executable file not found" in text or "no such file or directory" in text:
        return 127
    if ("permission denied" in text or "is a directory" in text
            or "operation not permitted" in text):
        return 126
    return 128


class ContainerService(ProcessControl, ExitHandling):
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

    # -- paths -------------------------------------------------------------
    def bundle(self, cid: str) -> Path:
        return self.dir / cid

    def rootfs_path(self, cid: str) -> Path:
        return self.bundle(cid) / "rootfs"

    def log_path(self, cid: str) -> Path:
        return self.bundle(cid) / "ctr.log"

    def resolve(self, ref: str) -> Container:
        return self.store.resolve(ref)

    def _event(self, c: Container, action: str, **extra: str) -> None:
        attrs = {"name": c.name, "image": c.config.Image, **(c.config.Labels or {}), **extra}
        self.events.publish("container", action, c.id, attrs)

    # -- create --------------------------------------------------------------
    async def create(self, name: str | None, req: CreateRequest) -> tuple[str, list[str]]:
        if not req.Image:
            raise InvalidArgument("config cannot be empty in order to create a container")
        if name is not None and name != "":
            name = name.removeprefix("/")
            if not valid_name(name):
                raise InvalidArgument(
                    f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
                )
        image = self.images.resolve(req.Image)
        cid = new_id()
        config = merge_config(req, image.config, cid)
        args = process_args(config)
        host_config = req.HostConfig or HostConfig()
        runtime = host_config.Runtime or self.runtime_name
        if runtime not in ("crun", "runc"):
            raise InvalidArgument(f"unknown or invalid runtime name: {runtime}")
        c = Container(
            id=cid, name=name or self._free_name(), image_id=image.id, created=now_rfc3339(),
            config=config, host_config=host_config, networking=req.NetworkingConfig,
            path=args[0], args=args[1:], runtime=runtime,
        )
        bundle = self.bundle(cid)
        bundle.mkdir(parents=True, mode=0o700)
        added = False
        try:
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

    # -- start -----------------------------------------------------------------
    def add_pre_start(self, cid: str, hook: PreStartHook) -> None:
        """Run ``hook`` after the monitor exists and before the process runs (attach)."""
        self._pre_start[cid].append(hook)

    async def start(self, ref: str) -> None:
        c = self.resolve(ref)
        async with self._locks[c.id]:
            c = self.resolve(c.id)
            next_state(Op.START, c.status, c.name)
            await self._start_locked(c)

    async def _start_locked(self, c: Container) -> None:
        bundle = self.bundle(c.id)
        rootfs = self.rootfs_path(c.id)
        rootfs.mkdir(exist_ok=True)
        if not rootfs.is_mount():
            await asyncio.to_thread(self.rootfs.mount, c.id, rootfs)
        ctx = self._start_context(c)
        created = False
        try:
            for plugin in self.plugins:
                await plugin.prepare(c, ctx)
            spec = self._spec(c, bundle, rootfs, ctx)
            etc = ctx.etc_view()
            write_json(bundle / "config.json", spec)
            for stale in ("exit", "oom"):
                (bundle / "persist" / stale).unlink(missing_ok=True)
            # the runtime's create runs while deferred plugin work (netavark) finishes
            c.pid = await self._create_process(c, bundle, ctx)
            created = True
            await ctx.settle()
            if ctx.etc_view() != etc:
                refresh_etc_files(bundle, c.config.Hostname, **self._etc_parts(ctx))
        except BaseException as e:
            await ctx.settle(quiet=True)
            if not isinstance(e, PalletError):
                raise
            if created:
                with contextlib.suppress(PalletError):
                    await self.runtime.delete(c.id, force=True)
            await self._failed_start(c, e)
            raise
        c.status = State.RUNNING
        c.started_at = now_rfc3339()
        c.exit_code, c.error, c.oom_killed = 0, "", False
        c.manually_stopped = False
        self.store.save(c)
        for hook in self._pre_start.pop(c.id, []):
            try:
                result = hook(c)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:  # an attach that fails must not stop the start
                log.exception("pre-start hook of %s failed", c.short_id)
        try:
            await self.runtime.start(c.id)
        except PalletError as e:
            await self.runtime.delete(c.id, force=True)
            await self._failed_start(c, e)
            raise
        self._event(c, "start")
        for plugin in self.plugins:
            await self._quietly(plugin.started(c), plugin, "started")

    async def _create_process(self, c: Container, bundle: Path, ctx: StartContext) -> int:
        try:
            return await self._runtime_create(c, bundle, ctx)
        except CommandFailed as e:
            if "already exists" not in e.message:
                raise
        # State left by a start that palletd's death cut short: clear it, retry once.
        await self.runtime.delete(c.id, force=True)
        return await self._runtime_create(c, bundle, ctx)

    async def _runtime_create(self, c: Container, bundle: Path, ctx: StartContext) -> int:
        return await self.runtime.create(
            c.id, bundle, terminal=c.config.Tty, stdin=c.config.OpenStdin,
            stdin_once=c.config.StdinOnce, log_path=self.log_path(c.id),
            log_size_max=ctx.log_size_max,
        )

    async def _quietly(self, call: Any, plugin: ContainerPlugin, hook: str) -> None:
        """Run a hook whose failure must not undo what already happened."""
        try:
            await call
        except Exception:
            log.exception("plugin %s failed in %s", plugin.name, hook)

    def _start_context(self, c: Container) -> StartContext:
        hc = c.host_config
        return StartContext(
            netns_path="host" if hc.NetworkMode == "host" else None,
            extra_hosts=list(hc.ExtraHosts or []), dns=list(hc.Dns or []),
            dns_search=list(hc.DnsSearch or []), dns_options=list(hc.DnsOptions or []),
        )

    def _spec(self, c: Container, bundle: Path, rootfs: Path,
              ctx: StartContext) -> dict[str, Any]:
        user = resolve_user(
            c.config.User,
            read_inside(rootfs, "/etc/passwd"),
            read_inside(rootfs, "/etc/group"),
            c.host_config.GroupAdd or [],
        )
        mounts = write_etc_files(bundle, c.config.Hostname, **self._etc_parts(ctx))
        resolved = Resolved(
            uid=user.uid, gid=user.gid, additional_gids=user.additional_gids,
            args=(c.path, *c.args), rootfs=str(rootfs), mounts=(*mounts, *ctx.mounts),
            netns_path=ctx.netns_path, home=user.home or "/",
        )
        return generate_spec(build_spec_input(c, resolved, self.host))

    @staticmethod
    def _etc_parts(ctx: StartContext) -> dict[str, list[str]]:
        return {"ips": ctx.ips, "extra_hosts": ctx.extra_hosts, "dns": ctx.dns,
                "dns_search": ctx.dns_search, "dns_options": ctx.dns_options}

    async def _failed_start(self, c: Container, err: PalletError) -> None:
        message = err.message
        code = start_failure_code(message)
        c.exit_code = code
        c.error = message
        c.pid = 0
        c.finished_at = now_rfc3339()
        self.store.save(c)
        self._pre_start.pop(c.id, None)
        await self._release_rootfs(c)
        for plugin in self.plugins:
            await self._quietly(plugin.released(c), plugin, "released")
        self.waiters.exited(c.id, code)
        self._event(c, "die", exitCode=str(code))
        if c.host_config.AutoRemove:
            await self._remove_locked(c)
        if isinstance(err, CommandFailed):
            # Docker's wording: its clients key exit codes 127/126 on these words.
            detail = message
            if code == 127:
                detail = f'exec: "{c.path}": executable file not found in $PATH'
            elif code == 126:
                detail = f'exec: "{c.path}": permission denied'
            err.message = ("failed to create task for container: OCI runtime create failed: "
                           f"unable to start container process: {detail}: unknown")
            err.args = (err.message,)
            c.error = err.message
            self.store.save(c)

    async def _release_rootfs(self, c: Container) -> None:
        rootfs = self.rootfs_path(c.id)
        if rootfs.is_mount():
            await asyncio.to_thread(self.rootfs.unmount, rootfs)

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
            if c.running or c.status == State.RESTARTING or keep(c):
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
