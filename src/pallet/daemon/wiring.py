"""The one place that names concrete classes: build the daemon from its parts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import msgspec
from aiohttp import web

import pallet
from pallet.api.view_system import SystemInfo
from pallet.build.cache import BuildCache
from pallet.daemon import (
    ext_build,
    ext_commit,
    ext_lint,
    ext_network,
    ext_ops,
    ext_registry,
    ext_scan,
)
from pallet.daemon.adapters import RuntimeAdapter
from pallet.daemon.backend import EngineBackend
from pallet.daemon.config import DaemonConfig
from pallet.daemon.parts import Part, PartContext
from pallet.engine.containers import ContainerService
from pallet.engine.control import ProcessControl
from pallet.engine.ctrcore import ContainerCore
from pallet.engine.events import EventBus
from pallet.engine.execs import ExecService
from pallet.engine.exits import ExitHandler
from pallet.engine.images import ImageOps
from pallet.engine.reconcile import Reconciler
from pallet.engine.records import ContainerStore
from pallet.engine.removal import Removal
from pallet.engine.rootfs import SnapshotRootfs
from pallet.engine.specbuild import HostDefaults
from pallet.engine.starting import Starter
from pallet.images.service import ImageService
from pallet.runtime.conmon import ConmonRuntime
from pallet.runtime.exits import ExitWatcher
from pallet.runtime.hostcheck import HostFacts, check_host, find_tool
from pallet.runtime.seccomp import default_seccomp
from pallet.runtime.seccomp_bpf import bpf_annotation
from pallet.server.app import core_routers
from pallet.system.db import Database
from pallet.system.paths import Paths
from pallet.system.private import DIR_MODE, ROOT_MODE, private_dir

log = logging.getLogger("palletd")


@dataclass
class Daemon:
    host: HostFacts
    db: Database
    events: EventBus
    containers: ContainerService
    backend: EngineBackend
    watcher: ExitWatcher
    parts: list[Part]
    image_ops: ImageOps

    @property
    def routers(self) -> list[list[web.AbstractRouteDef]]:
        """Every router: the core's over the engine backend, then each part's."""
        return [list(r) for r in core_routers(self.backend)] + [p.routes for p in self.parts]

    @property
    def middlewares(self) -> list[Any]:
        return [m for p in self.parts for m in p.middlewares]

    async def started(self) -> None:
        for part in self.parts:
            for hook in part.on_start:
                await hook()

    async def ready(self) -> None:
        for part in self.parts:
            for hook in part.on_ready:
                await hook()

    async def stopping(self) -> None:
        for part in self.parts:
            for hook in part.on_stop:
                with contextlib.suppress(Exception):
                    await hook()

    async def reconcile(self) -> None:
        """Make the records, the runtime and the store agree after a stop or a crash:
        containers first (they are the store's roots), then the uploads a killed daemon
        was receiving, then the store's garbage."""
        await self.containers.reconcile()
        await asyncio.to_thread(self.backend.clean_spool)
        try:
            await self.image_ops.collect()
        except Exception:  # the store keeps its garbage until the next prune; palletd starts
            log.exception("garbage collection at start failed")

    async def watch_exits(self) -> None:
        """Handle each exit conmon reports in a task of its own: the exits of containers
        stopped together (``compose down``) are reaped side by side, not one by one
        (``on_exit`` holds the container's own lock)."""
        handling: set[asyncio.Task[None]] = set()
        try:
            async for cid in self.watcher:
                task = asyncio.get_running_loop().create_task(self._on_exit(cid))
                handling.add(task)
                task.add_done_callback(handling.discard)
        finally:
            for task in handling:
                task.cancel()

    async def _on_exit(self, cid: str) -> None:
        try:
            await self.containers.on_exit(cid)
        except Exception:
            log.exception("handling the exit of %s failed", cid[:12])

    def close(self) -> None:
        self.watcher.close()
        self.db.close()


def _info(paths: Paths, host: HostFacts) -> SystemInfo:
    uname = platform.uname()
    return msgspec.convert({
        "ID": "pallet", "Name": uname.node, "Driver": "overlay2",
        "DriverStatus": [["Backing Filesystem", "extfs"], ["Supports d_type", "true"]],
        "DockerRootDir": str(paths.root), "OperatingSystem": "pallet on " + _os_name(),
        "OSType": "linux", "Architecture": uname.machine, "KernelVersion": uname.release,
        "NCPU": os.cpu_count() or 1, "MemTotal": _mem_total(),
        "ServerVersion": pallet.__version__, "DefaultRuntime": host.runtime_name,
        "Runtimes": {"crun": {"path": "crun"}, "runc": {"path": "runc"}},
        "CgroupDriver": "cgroupfs", "CgroupVersion": "2" if host.cgroup_layout == "v2" else "1",
        "LoggingDriver": "json-file", "MemoryLimit": True, "SwapLimit": True,
        "CpuCfsPeriod": True, "CpuCfsQuota": True, "PidsLimit": True, "IPv4Forwarding": True,
        "Debug": False, "Swarm": {"LocalNodeState": "inactive", "NodeID": "", "NodeAddr": "",
                                  "ControlAvailable": False, "Error": "", "RemoteManagers": None},
        "SecurityOptions": ["name=seccomp,profile=builtin"] if host.seccomp_profile else [],
        "Warnings": list(host.warnings), "InitBinary": host.catatonit_path or "",
        "Plugins": {"Volume": ["local"], "Network": ["bridge", "host", "null"],
                    "Log": ["json-file", "k8s-file", "local", "none", "syslog", "gelf",
                            "fluentd"]},
        "RegistryConfig": {"IndexConfigs": {}, "InsecureRegistryCIDRs": ["127.0.0.0/8"]},
        "Labels": [], "ExperimentalBuild": False, "HttpProxy": "", "HttpsProxy": "",
        "NoProxy": "", "LiveRestoreEnabled": True, "Isolation": "", "Containerd": None,
    }, SystemInfo)


def _os_name() -> str:
    with contextlib.suppress(OSError), open("/etc/os-release") as f:
        for line in f:
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    return "Linux"


def _mem_total() -> int:
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return 0


def build(config: DaemonConfig) -> Daemon:
    paths = config.paths
    host = check_host(config.runtime)
    for d in (paths.root, paths.containers, paths.tmp):
        private_dir(d, ROOT_MODE if d == paths.root else DIR_MODE)
    db = Database(paths.db)
    events = EventBus()
    images = ImageService(db, paths)
    store = ContainerStore(db)
    runtimes: dict[str, ConmonRuntime] = {}
    for name in ("crun", "runc"):
        path = host.runtime_path if name == host.runtime_name else find_tool(name)
        if path is None or (name == "crun" and host.runtime_name != "crun"):
            continue  # crun unusable on this host (see the host check) or not installed
        state = paths.runtime_state if name == "crun" else paths.run / "runtime-runc"
        runtimes[name] = ConmonRuntime(path, host.conmon_path, state, paths.exits,
                                       paths.run / "s")
    runtime = runtimes[host.runtime_name]

    @lru_cache(maxsize=64)
    def seccomp_for(caps: tuple[str, ...]) -> dict[str, Any] | None:
        if host.seccomp_profile is None:
            return None
        return default_seccomp(caps, host.seccomp_profile)

    def seccomp(caps: Sequence[str]) -> dict[str, Any] | None:
        """The default profile for the container's effective ``CAP_*`` capabilities."""
        return seccomp_for(tuple(sorted(caps)))

    defaults = HostDefaults(rlimit_ceiling=host.rlimits, init_path=host.catatonit_path,
                            seccomp_for=seccomp, seccomp_annotations=bpf_annotation,
                            available_caps=host.bounding_caps or None)
    adapter = RuntimeAdapter(runtimes, host.runtime_name,
                             lambda cid: (c.runtime if (c := store.get(cid)) else None))
    core = ContainerCore(store, SnapshotRootfs(images), adapter, events, paths.containers,
                         defaults, host.runtime_name)
    removal = Removal(core)
    starter = Starter(core, removal)
    exits = ExitHandler(core, removal)
    containers = ContainerService(core, images, starter, ProcessControl(core, starter), exits,
                                  removal, Reconciler(core, removal, exits))
    execs = ExecService(containers)
    image_ops = ImageOps(images, store, events, BuildCache(db).parents)
    registry = ext_registry.RegistryOps(images, events, config.insecure_registries)
    backend = EngineBackend(containers, execs, image_ops, events, _info(paths, host), paths.tmp,
                            registry.pull)
    watcher = ExitWatcher(paths.exits)
    ctx = PartContext(config, paths, db, host, events, containers, images, image_ops, runtime,
                      backend)
    parts = [
        ext_network.install(ctx),   # networks, ports, DNS, volumes
        ext_ops.install(ctx),       # restart, health, stats, update, log rotation, df, metrics
        ext_build.install(ctx),     # POST /build
        ext_registry.install(ctx, registry),  # push, login, distribution
        ext_commit.install(ctx),    # commit, diff, export of containers
        ext_scan.install(ctx),      # image inventory and vulnerability scan
        ext_lint.install(ctx),      # Dockerfile lint and the container checklist
    ]
    for part in parts:
        containers.plugins.extend(part.plugins)
        backend.add_info(part.info)
    return Daemon(host, db, events, containers, backend, watcher, parts, image_ops)
