"""Daemon extensions: features that add routes and container plugins.

Each extension module (``pallet.daemon.ext_*``) has ``install(ctx) -> Extension``.
The wiring calls them in order after the engine core is built; an extension
owns its services, its routes (an aiohttp route table) and its plugins.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

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

EXTENSIONS = (
    "pallet.daemon.ext_network",   # issue 3: networks, ports, DNS, volumes
    "pallet.daemon.ext_ops",       # issue 5: restart, health, stats, update, log rotation
    "pallet.daemon.ext_build",     # issue 4: POST /build
    "pallet.daemon.ext_registry",  # issue 6: pull, push, login
    "pallet.daemon.ext_commit",    # commit, diff, export of containers
    "pallet.daemon.ext_scan",      # issue 15: image inventory and vulnerability scan
)


@dataclass
class ExtensionContext:
    config: DaemonConfig
    paths: Paths
    db: Database
    host: HostFacts
    events: EventBus
    containers: ContainerService
    images: ImageService
    image_ops: ImageOps
    runtime: ConmonRuntime
    backend: Any  # the EngineBackend, for extensions that override a route's behaviour


@dataclass
class Extension:
    name: str
    routes: list[web.AbstractRouteDef] = field(default_factory=list)
    plugins: list[ContainerPlugin] = field(default_factory=list)
    on_start: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)  # merged into GET /info
    middlewares: list[Any] = field(default_factory=list)  # aiohttp, outside the edge one


def load_extensions(ctx: ExtensionContext,
                    names: tuple[str, ...] = EXTENSIONS) -> list[Extension]:
    out = []
    for name in names:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:
                continue  # not built yet
            raise
        ext = module.install(ctx)
        assert isinstance(ext, Extension)
        ctx.containers.plugins.extend(ext.plugins)
        out.append(ext)
    return out
