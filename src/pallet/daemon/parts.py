"""What a daemon part adds beside the engine core, and what it is built from.

A part (networks and volumes, operations, build, registry, commit, scan) is an
ordinary module with ``install(ctx: PartContext) -> Part``; ``daemon.wiring``
calls each one by name, in order, after the core is built. A part owns its
services; it hands back its routes (built by its router's ``make_routes`` over
a typed backend), the container plugins it adds, start and stop hooks, fields
for ``GET /info`` and request middlewares. No part replaces another's route or
method: ``server.app.make_app`` refuses two routers that claim one path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from pallet.daemon.backend import EngineBackend
from pallet.daemon.config import DaemonConfig
from pallet.engine.containers import ContainerService
from pallet.engine.events import EventBus
from pallet.engine.images import ImageOps
from pallet.engine.plugins import ContainerPlugin
from pallet.images.service import ImageService
from pallet.runtime.conmon import ConmonRuntime
from pallet.runtime.hostcheck import HostFacts
from pallet.system.db import Database
from pallet.system.paths import Paths


@dataclass
class PartContext:
    config: DaemonConfig
    paths: Paths
    db: Database
    host: HostFacts
    events: EventBus
    containers: ContainerService
    images: ImageService
    image_ops: ImageOps
    runtime: ConmonRuntime
    backend: EngineBackend  # the core's views, for parts that report on them (system df)


@dataclass
class Part:
    name: str
    routes: list[web.AbstractRouteDef] = field(default_factory=list)
    plugins: list[ContainerPlugin] = field(default_factory=list)
    on_start: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # after the records were reconciled with what conmon and the runtime report
    on_ready: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)  # merged into GET /info
    middlewares: list[Any] = field(default_factory=list)  # aiohttp, outside the edge one
