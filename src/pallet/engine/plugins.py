"""Extension points of the container lifecycle.

Networks, volumes, restart policies and health checks are plugins: the
container service calls each registered plugin at fixed points, in order, and
carries no knowledge of them. A plugin keeps its per-container state in
``Container.extras[<its name>]`` (saved with the record) and decorates the API
views it owns (``NetworkSettings``, ``Mounts``, ``State.Health``).

Lifecycle of the calls for one container:

    created        after the record is stored (may refuse: the create fails)
    prepare        before each start, fills the StartContext (mounts, netns, DNS)
    started        after the process runs
    released       after each stop or failed start (undo what prepare did)
    exited         after the exit is recorded (restart policy decides here)
    removed        before the record is deleted (``volumes``: ``rm -v``)
    decorate       when a view is built (``kind``: "inspect" or "summary")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from pallet.engine.records import Container


@dataclass
class StartContext:
    """What plugins add to a container's start."""

    mounts: list[dict[str, Any]] = field(default_factory=list)  # OCI mounts
    netns_path: str | None = None  # None: a private netns with lo only; "host"
    ips: list[str] = field(default_factory=list)  # the container's own, for /etc/hosts
    extra_hosts: list[str] = field(default_factory=list)  # "name:ip"
    dns: list[str] = field(default_factory=list)
    dns_search: list[str] = field(default_factory=list)
    dns_options: list[str] = field(default_factory=list)
    hostname_in_hosts: bool = True
    log_size_max: int = -1  # the monitor's hard cap on the log file (bytes; -1: none)


class ContainerPlugin(Protocol):
    name: str

    async def created(self, c: Container) -> None: ...

    async def prepare(self, c: Container, ctx: StartContext) -> None: ...

    async def started(self, c: Container) -> None: ...

    async def released(self, c: Container) -> None: ...

    async def exited(self, c: Container) -> None: ...

    async def removed(self, c: Container, volumes: bool) -> None: ...

    def decorate(self, c: Container, view: dict[str, Any], kind: str) -> None: ...


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

    def decorate(self, c: Container, view: dict[str, Any], kind: str) -> None:
        return None
