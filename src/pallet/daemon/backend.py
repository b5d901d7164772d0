"""The server's Backend, wired to the engine's services.

Pure delegation and shape conversion: no Docker semantics live here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import msgspec

import pallet
from pallet.api.models import CreateRequest, ExecConfig
from pallet.api.responses import (
    ContainersPruned,
    ContainerTop,
    Event,
    ExecInspect,
    HistoryItem,
    ImageDeleted,
    ImagesPruned,
    WaitResponse,
)
from pallet.api.view_containers import ContainerInspect, ContainerSummary
from pallet.api.view_images import ImageInspect, ImageSummary
from pallet.api.view_system import ComponentVersion, PlatformInfo, SystemInfo, SystemVersion
from pallet.engine import links
from pallet.engine.archive import extract_to, stat_path, tar_path
from pallet.engine.attach import ContainerAttach
from pallet.engine.containers import ContainerService
from pallet.engine.cproot import ContainerFS, running_root, stopped_root
from pallet.engine.events import EventBus
from pallet.engine.execs import ExecService
from pallet.engine.images import ImageOps
from pallet.engine.lifecycle import State
from pallet.engine.logs import log_stream
from pallet.engine.records import Container
from pallet.engine.top import top
from pallet.engine.views import check_filters, inspect, matches, summary, view_matches
from pallet.errors import Conflict
from pallet.notation.filters import Filters
from pallet.notation.prunefilter import prune_filter
from pallet.server.backend import AttachSession, LogOptions, PathStat


def _pstat(s: Any) -> PathStat:
    return PathStat(s.name, s.size, s.mode, s.mtime, s.link_target)


# (image, tag, X-Registry-Auth, platform, all tags) -> progress messages
Puller = Callable[[str, str, str, str, bool], AsyncIterator[dict[str, Any]]]
StrList = list[str]
ImageList = list[ImageSummary]
SummaryList = list[ContainerSummary]
DeletedList = list[ImageDeleted]
HistoryList = list[HistoryItem]

class EngineBackend:
    def __init__(self, containers: ContainerService, execs: ExecService, images: ImageOps,
                 events: EventBus, info: SystemInfo, spool: Path, pull: Puller) -> None:
        self.c = containers
        self._pull = pull
        self.x = execs
        self.i = images
        self.ev = events
        self._info = info
        self._spool = spool

    # -- containers ----------------------------------------------------------
    async def create(self, name: str | None, body: CreateRequest) -> tuple[str, list[str]]:
        return await self.c.create(name, body)

    async def list(self, all: bool, limit: int, size: bool, filters: Filters) -> SummaryList:
        check_filters(filters)
        items = sorted(self.c.store.listed(), key=lambda c: c.created_unix, reverse=True)
        if not all and limit <= 0 and "status" not in filters and "exited" not in filters:
            items = [c for c in items if c.status in (State.RUNNING, State.PAUSED,
                                                       State.RESTARTING)]
        for key in ("before", "since"):
            for ref in filters.get(key, []):
                pivot = self.c.resolve(ref).created_unix
                items = [c for c in items if (c.created_unix < pivot if key == "before"
                                              else c.created_unix > pivot)]
        out = []
        for c in items:
            names = self.i.names_of(c.image_id) if "ancestor" in filters else []
            if not matches(c, filters, names):
                continue
            view = summary(c, c.config.Image)
            for plugin in self.c.plugins:
                plugin.decorate(c, view)
            if not view_matches(view, filters):
                continue
            if size:
                view.SizeRw, view.SizeRootFs = self._sizes(c)
            out.append(view)
        if limit > 0:
            out = out[:limit]
        return out

    async def inspect(self, ref: str, size: bool = False) -> ContainerInspect:
        c = self.c.resolve(ref)
        bundle = self.c.bundle(c.id)
        data = {"MergedDir": str(bundle / "rootfs"), "UpperDir": "", "WorkDir": ""}
        view = inspect(c, bundle, data, self.x.ids_for(c.id))
        for plugin in self.c.plugins:
            plugin.decorate(c, view)
        if size:
            view.SizeRw, view.SizeRootFs = self._sizes(c)
        return view

    def _sizes(self, c: Container) -> tuple[int, int]:
        """(SizeRw, SizeRootFs): the container's own layer, and it with its image's."""
        rw = self.c.rootfs.usage(c.id)
        return rw, rw + self.i.size_of(c.image_id)

    async def start(self, ref: str) -> None:
        await self.c.start(ref)

    async def stop(self, ref: str, timeout: int | None, signal: str | None) -> None:
        await self.c.stop(ref, timeout, signal)

    async def restart(self, ref: str, timeout: int | None, signal: str | None) -> None:
        await self.c.restart(ref, timeout, signal)

    async def kill(self, ref: str, signal: str) -> None:
        await self.c.kill(ref, signal)

    async def pause(self, ref: str) -> None:
        await self.c.pause(ref)

    async def unpause(self, ref: str) -> None:
        await self.c.unpause(ref)

    async def remove(self, ref: str, force: bool, volumes: bool) -> None:
        cid = self.c.resolve(ref).id
        await self.c.remove(ref, force, volumes)
        self.x.forget_container(cid)

    async def remove_link(self, parent: str, alias: str) -> None:
        links.remove_link(self.c.store, parent, alias)

    async def rename(self, ref: str, new_name: str) -> None:
        await self.c.rename(ref, new_name)

    async def wait(self, ref: str, condition: str) -> WaitResponse:
        return await self.c.wait(ref, condition)

    async def top(self, ref: str, ps_args: str) -> ContainerTop:
        c = self.c.resolve(ref)
        if c.status not in (State.RUNNING, State.PAUSED):
            raise Conflict(f"Container {c.id} is not running")
        return await top(f"{self.c.host.cgroup_parent}/{c.id}", ps_args)

    async def logs(self, ref: str, opts: LogOptions
                   ) -> tuple[bool, AsyncIterator[tuple[int, bytes]]]:
        c = self.c.resolve(ref)
        return c.config.Tty, log_stream(self.c, c, opts.follow, opts.stdout, opts.stderr,
                                        opts.since, opts.until, opts.timestamps, opts.tail)

    async def attach(self, ref: str, stdin: bool, stdout: bool, stderr: bool, logs: bool,
                     stream: bool) -> AttachSession:
        c = self.c.resolve(ref)
        session = ContainerAttach(self.c, c, stdin=stdin, stdout=stdout, stderr=stderr,
                                  logs=logs, stream=stream)
        await session.setup()
        return session

    async def resize(self, ref: str, height: int, width: int) -> None:
        await self.c.resize(ref, height, width)

    @contextlib.asynccontextmanager
    async def _fs(self, ref: str) -> AsyncIterator[ContainerFS]:
        """The container's filesystem for a copy: through its init process while it runs,
        else its rootfs mounted for the copy with its volumes, binds and /etc files."""
        c = self.c.resolve(ref)
        fs = running_root(c.pid, self.c.holds.path_of(c.id)) if c.running and c.pid else None
        if fs is not None:
            try:
                yield fs
            finally:
                fs.close()
            return
        async with self.c.holds.hold(c.id) as rootfs:
            fs = stopped_root(rootfs, self._mounts(c))
            try:
                yield fs
            finally:
                fs.close()

    def _mounts(self, c: Container) -> dict[str, Path]:
        """Container path -> host source of what is mounted over the rootfs when it runs."""
        bundle = self.c.bundle(c.id)
        out = {f"/etc/{n}": bundle / n for n in ("hostname", "hosts", "resolv.conf")
               if (bundle / n).exists()}
        for mp in c.extras.volumes.mounts if c.extras.volumes else []:
            if mp.type in ("volume", "bind") and mp.source:
                out[mp.destination] = Path(mp.source)
        return out

    async def archive_stat(self, ref: str, path: str) -> PathStat:
        async with self._fs(ref) as fs:
            return _pstat(await asyncio.to_thread(stat_path, fs, path))

    async def archive_get(self, ref: str, path: str) -> tuple[PathStat, AsyncIterator[bytes]]:
        async with self._fs(ref) as fs:
            st, spool = await asyncio.to_thread(tar_path, fs, path)

        async def stream() -> AsyncIterator[bytes]:
            try:
                while block := await asyncio.to_thread(spool.read, 1 << 20):
                    yield block
            finally:
                spool.close()

        return _pstat(st), stream()

    async def archive_put(self, ref: str, path: str, body: AsyncIterator[bytes],
                          no_overwrite_dir_non_dir: bool) -> None:
        spool = self._spool_file()
        try:
            with open(spool, "wb") as f:
                async for chunk in body:
                    f.write(chunk)
            async with self._fs(ref) as fs:
                await asyncio.to_thread(extract_to, fs, path, spool, no_overwrite_dir_non_dir)
        finally:
            spool.unlink(missing_ok=True)

    def _spool_file(self) -> Path:
        self._spool.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self._spool / f"upload-{os.getpid()}-{time.monotonic_ns()}"

    async def prune(self, filters: Filters) -> ContainersPruned:
        prunable = prune_filter(filters)

        def keep(c: Any) -> bool:
            return not prunable(c.created_unix, c.config.Labels or {})

        deleted, space = await self.c.prune(keep)
        return ContainersPruned(ContainersDeleted=deleted or None, SpaceReclaimed=space)

    # -- exec ------------------------------------------------------------------
    async def exec_create(self, ref: str, config: ExecConfig) -> str:
        return await self.x.create(ref, config)

    async def exec_start(self, exec_id: str, detach: bool, tty: bool) -> AttachSession | None:
        return await self.x.start(exec_id, detach, tty)

    async def exec_resize(self, exec_id: str, height: int, width: int) -> None:
        await self.x.resize(exec_id, height, width)

    async def exec_inspect(self, exec_id: str) -> ExecInspect:
        return self.x.inspect(exec_id)

    # -- images ------------------------------------------------------------------
    async def images_list(self, all: bool, filters: Filters, digests: bool) -> ImageList:
        return await self.i.list(all, filters)

    async def image_inspect(self, ref: str) -> ImageInspect:
        return await self.i.inspect(ref)

    async def image_history(self, ref: str) -> HistoryList:
        return await self.i.history(ref)

    async def image_tag(self, ref: str, repo: str, tag: str) -> None:
        await self.i.tag(ref, repo, tag)

    async def image_remove(self, ref: str, force: bool, noprune: bool) -> DeletedList:
        return await self.i.remove(ref, force, noprune)

    async def images_prune(self, filters: Filters) -> ImagesPruned:
        return await self.i.prune(filters)

    def image_save(self, refs: StrList) -> AsyncIterator[bytes]:
        return self.i.save(refs)

    async def image_load(self, archive: Path, quiet: bool) -> StrList:
        return await self.i.load(archive)

    async def image_import(self, archive: Path, repo: str, tag: str, changes: StrList,
                           message: str) -> str:
        return await self.i.import_tar(archive, repo, tag, changes, message)

    async def image_pull(self, image: str, tag: str, auth: str, platform: str = "",
                         all_tags: bool = False) -> AsyncIterator[dict[str, Any]]:
        return self._pull(image, tag, auth, platform, all_tags)

    async def image_bootstrap(self, name: str) -> str:
        return await self.i.bootstrap(name)

    def spool_dir(self) -> Path:
        self._spool.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self._spool

    def clean_spool(self) -> None:
        """At daemon start: the uploads (load, import, cp, build contexts, scans) a killed
        daemon was receiving; the spool's subdirectories belong to their parts."""
        if not self._spool.is_dir():
            return
        for p in self._spool.iterdir():
            if p.is_file() and not p.is_symlink():
                p.unlink(missing_ok=True)

    # -- system ------------------------------------------------------------------
    async def version(self) -> SystemVersion:
        uname = platform.uname()
        return SystemVersion(
            Platform=PlatformInfo(Name="pallet"),
            Components=[ComponentVersion(
                Name="Engine", Version=pallet.__version__,
                Details={"ApiVersion": pallet.API_VERSION,
                         "MinAPIVersion": pallet.MIN_API_VERSION, "Os": "linux",
                         "Arch": _arch(), "KernelVersion": uname.release})],
            Version=pallet.__version__, ApiVersion=pallet.API_VERSION,
            MinAPIVersion=pallet.MIN_API_VERSION, GitCommit="",
            GoVersion=f"python{platform.python_version()}", Os="linux", Arch=_arch(),
            KernelVersion=uname.release, BuildTime="")

    def add_info(self, info: dict[str, Any]) -> None:
        """A part's contribution to ``GET /info`` (fields of :class:`SystemInfo`)."""
        self._info = msgspec.convert({**msgspec.to_builtins(self._info), **info}, SystemInfo)

    async def info(self) -> SystemInfo:
        all_c = self.c.store.listed()
        running = sum(c.status == State.RUNNING for c in all_c)
        paused = sum(c.status == State.PAUSED for c in all_c)
        return msgspec.structs.replace(
            self._info, Containers=len(all_c), ContainersRunning=running,
            ContainersPaused=paused, ContainersStopped=len(all_c) - running - paused,
            Images=await self.i.count(), SystemTime=time.strftime("%Y-%m-%dT%H:%M:%S%z"))

    def events(self, since: float | None, until: float | None, filters: Filters
               ) -> AsyncIterator[Event]:
        return self.ev.subscribe(since, until, filters)



def _arch() -> str:
    m = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(m, m)


