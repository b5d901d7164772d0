"""Image builds (issue 4): ``POST /build`` over the builder, RUN steps in engine containers.

* ``EngineWorker`` runs a RUN step: a container from the step's image (entrypoint
  cleared, health check off, labelled ``pallet.build``) with the step's extra
  mounts added by the ``BuildMounts`` plugin at prepare time; its log is followed
  into the build output; after the exit its snapshot is committed by the builder,
  then the container is removed.
* Network: the container gets the engine's default network (a private netns with
  loopback only unless a network plugin attaches it); ``RUN --network=none``
  and ``networkmode=none`` ask for none explicitly, ``host`` for the host's.
* Secrets live in a tmpfs directory (``/dev/shm``) for the build's lifetime.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from pallet.api.models import CreateRequest, HealthConfig, HostConfig
from pallet.api.responses import BuildCachePruned
from pallet.build.buildcontext import BuildContext
from pallet.build.cache import BuildCache
from pallet.build.executor import Builder, BuildOptions
from pallet.build.worker import Output, RunResult, RunSpec
from pallet.daemon.parts import Part, PartContext
from pallet.engine.containers import ContainerService
from pallet.engine.plugins import Plugin, StartContext
from pallet.engine.records import Container
from pallet.errors import Conflict, NotFound, PalletError, sent_by_client
from pallet.images.service import ImageService
from pallet.logs.reader import follow_logs
from pallet.notation.prunefilter import PRUNE_KEYS, prune_filter
from pallet.oci.runtimemount import OciMount
from pallet.server.routes_build import make_routes
from pallet.snapshots.mount import is_mounted, unmount
from pallet.system.paths import Paths

log = logging.getLogger("pallet.build")


STDERR_ON, STDERR_OFF = b"\x1b[91m", b"\x1b[0m"

class BuildMounts(Plugin):
    """Adds a build step's cache, secret, bind and tmpfs mounts to its container."""

    name = "build"

    def __init__(self) -> None:
        self.pending: dict[str, list[OciMount]] = {}

    async def prepare(self, c: Container, ctx: StartContext) -> None:
        ctx.mounts.extend(self.pending.get(c.id, []))


class EngineWorker:
    def __init__(self, containers: ContainerService, images: ImageService, state_dir: Path,
                 scratch_dir: Path, plugin: BuildMounts) -> None:
        self.containers = containers
        self.images = images
        self.state_dir = state_dir
        self.scratch_dir = scratch_dir
        self.plugin = plugin

    @contextlib.asynccontextmanager
    async def run(self, spec: RunSpec, output: Output) -> AsyncIterator[RunResult]:
        svc = self.containers
        req = CreateRequest(
            Image=spec.image_id, Cmd=spec.argv, Entrypoint=[], Env=spec.env, User=spec.user,
            WorkingDir=spec.workdir, Labels=spec.labels, AttachStdout=True, AttachStderr=True,
            Healthcheck=HealthConfig(Test=["NONE"]),
            HostConfig=HostConfig(NetworkMode=spec.network,
                                  ExtraHosts=list(spec.extra_hosts) or None),
        )
        cid, _ = await svc.create(None, req, build_step=True)
        try:
            self.plugin.pending[cid] = list(spec.mounts)
            if spec.on_start is not None:
                await spec.on_start(cid)
            exited = svc.waiters.on_exit(cid)
            done = False

            async def follow() -> None:
                async for rec in follow_logs(svc.log_path(cid), stop=lambda: done):
                    # as the classic builder shows it: stderr in red
                    await output(rec.data if rec.stream != 2 else
                                 STDERR_ON + rec.data + STDERR_OFF)

            follower = asyncio.ensure_future(follow())
            try:
                try:
                    await svc.start(cid)
                except PalletError as e:
                    await output(f"{e.message}\n".encode())
                code = await exited
            finally:
                done = True
                try:
                    await asyncio.wait_for(follower, 10)
                except (TimeoutError, asyncio.CancelledError):
                    follower.cancel()
            yield RunResult(cid, code, cid, self._mountpoints(cid))
        finally:
            self.plugin.pending.pop(cid, None)
            with contextlib.suppress(NotFound):
                await svc.remove(cid, force=True)

    def _mountpoints(self, cid: str) -> list[str]:
        try:
            spec = json.loads((self.containers.bundle(cid) / "config.json").read_text())
        except (OSError, ValueError):
            return []
        return [str(m.get("destination", "")) for m in spec.get("mounts") or []]


def _private_dir() -> Path:
    """A fresh 0700 directory on tmpfs for secrets (``/dev/shm``, else ``/run``)."""
    for base in (Path("/dev/shm"), Path("/run")):
        if base.is_dir():
            d = base / f"pallet-build-{secrets.token_hex(8)}"
            d.mkdir(mode=0o700)
            return d
    raise PalletError("no tmpfs directory for build secrets")


class BuildService:
    def __init__(self, builder: Builder, paths: Paths, images: ImageService,
                 cache: BuildCache, in_use: Any,
                 collect: Callable[[], Awaitable[int]]) -> None:
        self.builder = builder
        self.collect = collect
        self.paths = paths
        self.images = images
        self.cache = cache
        self.in_use = in_use
        self.spool_dir = paths.tmp / "build"

    async def build(self, context_tar: Path,
                    opts: BuildOptions) -> AsyncIterator[list[dict[str, Any]]]:
        """The build's messages, in batches of those ready at the same time (one write
        each); the context is indexed, extracted only if a step needs its files."""
        queue: asyncio.Queue[dict[str, Any] | BaseException | None] = asyncio.Queue()
        work = self.spool_dir / f"ctx-{secrets.token_hex(8)}"
        private: list[Path] = []
        opened: list[BuildContext] = []

        def private_dir() -> Path:
            if not private:
                private.append(_private_dir())
            return private[0]

        async def emit(msg: dict[str, Any]) -> None:
            queue.put_nowait(msg)

        async def run() -> None:
            try:
                async with self.images.gate.held():  # its layers are nobody's until it ends
                    with sent_by_client("invalid build context"):
                        ctx = await asyncio.to_thread(BuildContext.open, context_tar, work)
                    opened.append(ctx)
                    await self.builder.build(ctx, opts, emit, private_dir)
                queue.put_nowait(None)
            except BaseException as e:  # handed to the stream, which reports it
                queue.put_nowait(e)
                if isinstance(e, asyncio.CancelledError):
                    raise

        task = asyncio.ensure_future(run())
        try:
            done = False
            while not done:
                items = [await queue.get()]
                while not queue.empty():
                    items.append(queue.get_nowait())
                batch: list[dict[str, Any]] = []
                for item in items:
                    if item is None:
                        done = True
                        break
                    if isinstance(item, BaseException):
                        if batch:
                            yield batch
                        raise item
                    batch.append(item)
                if batch:
                    yield batch
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
            for ctx in opened:
                if ctx.extracted or ctx.owns_tar:
                    await asyncio.to_thread(ctx.close)
                else:
                    ctx.close()  # an fd: nothing on disk to remove
            for d in private:
                shutil.rmtree(d, ignore_errors=True)

    async def prune(self, all: bool, filters: dict[str, list[str]]) -> BuildCachePruned:
        """Forget the cache; delete untagged build images no container uses."""
        prune_filter(filters, (*PRUNE_KEYS, "unused-for", "id", "parent", "type", "description",
                               "inuse", "shared", "private"))  # a bad filter: 400, first
        deleted: list[str] = []
        space = 0
        for image_id in self.cache.image_ids() | self.cache.parents():
            if not image_id:
                continue
            try:
                img = self.images.get(image_id)
            except NotFound:
                continue
            if img.repo_tags or self.in_use(image_id):
                continue
            try:
                await asyncio.to_thread(self.images.remove, image_id, False, False,
                                        self.in_use)
            except (Conflict, NotFound):
                continue
            deleted.append(image_id)
            space += img.size
        self.cache.forget()
        if all:
            mounts = self.builder.worker.state_dir / "cache-mounts"
            if mounts.is_dir():
                for d in mounts.iterdir():
                    deleted.append(f"cache-mount:{d.name}")
                    await asyncio.to_thread(shutil.rmtree, d, True)
        space += await self.collect()
        return BuildCachePruned(CachesDeleted=deleted or None, SpaceReclaimed=space)


def install(ctx: PartContext) -> Part:
    plugin = BuildMounts()
    state = ctx.paths.root / "build"
    scratch = ctx.paths.tmp / "build"
    worker = EngineWorker(ctx.containers, ctx.images, state, scratch, plugin)
    cache = BuildCache(ctx.db)
    builder = Builder(worker, cache)

    def in_use(image_id: str) -> bool:
        return bool(ctx.containers.store.uses_image(image_id))

    service = BuildService(builder, ctx.paths, ctx.images, cache, in_use, ctx.image_ops.collect)

    async def on_start() -> None:
        state.mkdir(parents=True, exist_ok=True, mode=0o700)
        if scratch.is_dir():  # leftovers of a crash: mount points first, never rmtree mounts
            for d in scratch.iterdir():
                with contextlib.suppress(OSError):
                    if d.name.startswith(("rw-", "view-")):
                        if is_mounted(d):
                            await asyncio.to_thread(unmount, d)
                        os.rmdir(d)
                    elif d.is_dir() and not d.is_symlink():
                        shutil.rmtree(d)
                    else:  # spooled or decompressed context tars
                        d.unlink()

    return Part("build", routes=list(make_routes(service)), plugins=[plugin],
                     on_start=[on_start])
