"""Extension points of the container lifecycle.

Networks, volumes, restart policies and health checks are plugins: the
container service calls each registered plugin at fixed points, in order, and
carries no knowledge of them. A plugin keeps its per-container state in its typed
slice of ``Container.extras`` (``engine/pluginstate.py``, saved with the record) and
decorates the API
views it owns (``NetworkSettings``, ``Mounts``, ``State.Health``).

Lifecycle of the calls for one container:

    created        after the record is stored (may refuse: the create fails)
    prepare        before each start, fills the StartContext (mounts, netns, DNS);
                   slow work that the runtime's create need not wait for (netavark's
                   setup) goes to ``ctx.defer``: it runs alongside the create, and the
                   process starts only once it is done (a failure fails the start)
    started        after the process runs
    released       after each stop or failed start (undo what prepare did)
    exited         after the exit is recorded (restart policy decides here)
    removed        before the record is deleted (``volumes``: ``rm -v``)
    decorate       when a view is built (a ContainerInspect or a ContainerSummary): the
                   plugin fills the typed fragment it owns
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from pallet.api.view_containers import ContainerView
from pallet.engine.records import Container
from pallet.oci.runtimemount import OciMount


@dataclass
class StartContext:
    """What plugins add to a container's start."""

    mounts: list[OciMount] = field(default_factory=list)
    netns_path: str | None = None  # None: a private netns with lo only; "host"
    ips: list[str] = field(default_factory=list)  # the container's own, for /etc/hosts
    extra_hosts: list[str] = field(default_factory=list)  # "name:ip"
    dns: list[str] = field(default_factory=list)
    dns_search: list[str] = field(default_factory=list)
    dns_options: list[str] = field(default_factory=list)
    hostname_in_hosts: bool = True
    env: list[str] = field(default_factory=list)  # under the container's own (links)
    log_size_max: int = -1  # the monitor's hard cap on the log file (bytes; -1: none)
    pending: list[asyncio.Task[None]] = field(default_factory=list)

    def defer(self, work: Coroutine[Any, Any, None]) -> None:
        """Start ``work`` now; the start awaits it (``settle``) before the process runs.

        Deferred work may still change ``dns``/``dns_search``/``ips``: the service
        rewrites the container's /etc files in place when they did.
        """
        self.pending.append(asyncio.ensure_future(work))

    async def settle(self, quiet: bool = False) -> None:
        """Wait for all deferred work; re-raise its first error unless ``quiet``."""
        tasks, self.pending = self.pending, []
        results = await asyncio.gather(*tasks, return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors and not quiet:
            raise errors[0]

    def etc_view(self) -> tuple[tuple[str, ...], ...]:
        """What the /etc files are made of (to tell whether deferred work changed it)."""
        return (tuple(self.ips), tuple(self.dns), tuple(self.dns_search),
                tuple(self.dns_options), tuple(self.extra_hosts))


class ContainerPlugin(Protocol):
    name: str

    async def created(self, c: Container) -> None: ...

    async def prepare(self, c: Container, ctx: StartContext) -> None: ...

    async def started(self, c: Container) -> None: ...

    async def released(self, c: Container) -> None: ...

    async def exited(self, c: Container) -> None: ...

    async def removed(self, c: Container, volumes: bool) -> None: ...

    def decorate(self, c: Container, view: ContainerView) -> None: ...


class Plugin:
    """A plugin that does nothing; subclass and override what you need."""

    name = "plugin"

    async def created(self, c: Container) -> None:
        return None

    async def prepare(self, c: Container, ctx: StartContext) -> None:
        return None

    async def started(self, c: Container) -> None:
        return None

    async def released(self, c: Container) -> None:
        return None

    async def exited(self, c: Container) -> None:
        return None

    async def removed(self, c: Container, volumes: bool) -> None:
        return None

    def decorate(self, c: Container, view: ContainerView) -> None:
        return None
