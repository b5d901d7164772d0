"""Operations extension: restart policies, health checks, log rotation, stats,
``update`` and Prometheus metrics.

Daemon-wide settings (log driver and options, metrics) come from the daemon's
configuration (:mod:`pallet.daemon.config`). Without any, logs rotate at 20 MB
keeping 5 files, so a chatty container cannot fill the disk.

On daemon start (before reconcile): pending restarts of the previous daemon
become exits and the containers a policy brings back are started in the
background; health monitors and log watchers resume for running containers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from pallet.api.models import UpdateConfig
from pallet.api.responses import DiskUsage, UpdateResponse
from pallet.api.view_stats import ContainerStats
from pallet.api.view_volumes import Volume
from pallet.build.cache import BuildCache
from pallet.daemon.parts import Part, PartContext
from pallet.engine.diskusage import build_cache_usage, images_usage
from pallet.engine.health import MAX_OUTPUT
from pallet.engine.healthmon import HealthPlugin
from pallet.engine.logship import LogShipPlugin
from pallet.engine.logwatch import LogRotatePlugin
from pallet.engine.metrics import (
    ContainerCollector,
    EngineMetrics,
    VolumeCollector,
    VolumeUsage,
    fs_of,
)
from pallet.engine.plugins import Plugin
from pallet.engine.records import Container
from pallet.engine.restarter import RestartPlugin
from pallet.engine.specbuild import HostDefaults, validate
from pallet.engine.stats import CgroupPlugin, StatsService
from pallet.engine.update import UpdateService
from pallet.engine.volplug.service import VolumeService
from pallet.images.gc import store_bytes
from pallet.server.routes_ops import DF_TYPES, MetricsListener, latency_middleware, make_routes
from pallet.volumes.store import VolumeStore

log = logging.getLogger("palletd")
USAGE_TTL = 60.0  # seconds a volume's walked size serves the metrics

class ExecProbe:
    """Health probes as execs in the container (the container's process spec)."""

    def __init__(self, ctx: PartContext) -> None:
        self.ctx = ctx

    async def __call__(self, cid: str, argv: tuple[str, ...], timeout: float
                       ) -> tuple[int, bytes]:
        bundle = self.ctx.containers.bundle(cid)
        spec = json.loads((bundle / "config.json").read_bytes())
        process: dict[str, Any] = spec["process"]
        process["args"] = list(argv)
        process["terminal"] = False
        process.pop("consoleSize", None)
        proc = await self.ctx.runtime.exec(cid, process, tty=False, stdin=False)
        out = bytearray()

        async def run() -> int:
            while (frame := await proc.read()) is not None:
                if len(out) < MAX_OUTPUT:
                    out.extend(frame[1])
            return await proc.wait()

        try:
            code = await asyncio.wait_for(run(), timeout)
        except TimeoutError:
            proc.kill(signal.SIGKILL)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.wait(), 5)
            raise
        finally:
            await proc.close()
        return code, bytes(out)


class HardeningPlugin(Plugin):
    """Refuses at create what a start would refuse: a bad seccomp profile or security
    option, a missing ``--device``, an unsupported ``--userns`` (400, as dockerd)."""

    name = "hardening"

    def __init__(self, host: HostDefaults) -> None:
        self.host = host

    async def created(self, c: Container) -> None:
        validate(c, self.host)


class Ops:
    """The OpsBackend of ``server.routes_ops``."""

    def __init__(self, ctx: PartContext, stats: StatsService, updates: UpdateService,
                 metrics: EngineMetrics, enabled: bool) -> None:
        self.ctx = ctx
        self.prom = metrics
        self._stats = stats
        self._updates = updates
        self._metrics = enabled
        self._usage: dict[str, tuple[float, int]] = {}  # volume -> (when walked, bytes)

    def stats(self, ref: str, stream: bool, one_shot: bool) -> AsyncIterator[ContainerStats]:
        return self._stats.stream(ref, stream, one_shot)

    async def update(self, ref: str, body: UpdateConfig) -> UpdateResponse:
        return await self._updates.update(ref, body)

    def metrics_enabled(self) -> bool:
        return self._metrics

    async def metrics(self) -> bytes:
        return await asyncio.to_thread(self.prom.render)

    async def df(self, types: list[str]) -> DiskUsage:
        """Docker's disk usage: images, containers, volumes, build cache (or ``types``;
        the others are null, as dockerd leaves them)."""
        want = set(types or DF_TYPES)
        ctx = self.ctx
        counts = Counter(c.image_id for c in ctx.containers.store.all())
        images = await asyncio.to_thread(ctx.images.list)
        out = DiskUsage()
        if "image" in want:
            hidden = ctx.image_ops.intermediate()
            shown = [i for i in images if i.repo_tags or i.id not in hidden]
            out.Images = images_usage(shown, counts)
            out.LayersSize = await asyncio.to_thread(self._layers_size)
        if "container" in want:
            out.Containers = await ctx.backend.list(True, 0, True, {})
        if "volume" in want:
            out.Volumes = await asyncio.to_thread(self._volumes)
        if "build-cache" in want:
            rows = BuildCache(ctx.db).rows()
            out.BuildCache = build_cache_usage(rows, {i.id: i for i in images}, counts)
        return out

    def _layers_size(self) -> int:
        """Every byte of the image store but the listed containers' own layers (their
        ``SizeRw``): layers, blobs, and the garbage a prune would sweep."""
        containers = self.ctx.containers
        own = sum(containers.rootfs.usage(c.id) for c in containers.store.listed())
        return store_bytes(self.ctx.images) - own

    def _volumes(self) -> list[Volume]:
        store = VolumeStore(self.ctx.db, self.ctx.paths.volumes)
        service = VolumeService(store, self.ctx.containers.store)
        return [service.view(rec, usage=True) for rec in store.all()]

    def volume_usage(self) -> list[VolumeUsage]:
        store = VolumeStore(self.ctx.db, self.ctx.paths.volumes)
        out = []
        for rec in store.all():
            path = store.path(rec.name)
            try:
                size, avail = fs_of(str(path))
            except OSError:
                continue  # removed while we looked
            out.append(VolumeUsage(rec.name, self._used(store, rec.name), size, avail))
        return out

    def _used(self, store: VolumeStore, name: str) -> int:
        """A volume's bytes, walked at most once a ``USAGE_TTL``: a scrape stays cheap."""
        now = time.monotonic()
        hit = self._usage.get(name)
        if hit is None or now - hit[0] >= USAGE_TTL:
            hit = self._usage[name] = (now, store.usage(name))
        return hit[1]


def install(ctx: PartContext) -> Part:
    driver, log_opts = ctx.config.log_driver, ctx.config.log_opts
    containers = ctx.containers
    health = HealthPlugin(containers, ExecProbe(ctx))
    restart = RestartPlugin(containers, health.status_of, hold=True)
    logs = LogRotatePlugin(containers, ctx.runtime.reopen_logs, driver, log_opts)
    shipping = LogShipPlugin(containers, driver, log_opts)
    stats = StatsService(containers, ctx.host.cgroup_layout)
    cgroups = CgroupPlugin(stats, ctx.paths.root)

    async def apply(cid: str, resources: dict[str, Any]) -> None:
        await ctx.runtime.update(cid, resources, containers.bundle(cid))

    updates = UpdateService(containers, apply)
    metrics_on = ctx.config.metrics or ctx.config.metrics_addr is not None
    prom = EngineMetrics(ContainerCollector(containers.store.all, stats, health))
    ops = Ops(ctx, stats, updates, prom, metrics_on)
    prom.registry.register(VolumeCollector(ops.volume_usage))
    scrape = MetricsListener(ctx.config.metrics_listen, ops.metrics)

    async def on_start() -> None:
        health.resume()
        logs.resume()
        shipping.resume()
        await scrape.start()

    async def on_ready() -> None:
        # after reconcile: the containers that died with the daemon (or the host) are
        # exited records now, brought back together in dependency order
        wanted = restart.settle()
        if wanted:
            log.info("starting %d container(s) by their restart policy", len(wanted))
            task = asyncio.get_running_loop().create_task(restart.boot(wanted))
            background.add(task)
            task.add_done_callback(background.discard)

    async def on_stop() -> None:
        for task in background:
            task.cancel()
        restart.close()
        health.close()
        logs.close()
        await shipping.close()
        await scrape.stop()

    background: set[asyncio.Task[None]] = set()
    return Part(
        name="ops",
        routes=make_routes(ops),
        plugins=[HardeningPlugin(containers.host), restart, health, logs, shipping, cgroups],
        on_start=[on_start],
        on_ready=[on_ready],
        on_stop=[on_stop],
        info={"LoggingDriver": driver},
        # the request timer costs a route lookup per request: only when metrics are on
        middlewares=[latency_middleware(prom.observe)] if ops.metrics_enabled() else [],
    )
