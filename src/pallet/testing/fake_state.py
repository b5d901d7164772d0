"""The in-memory state behind :class:`~pallet.testing.fake_backend.FakeBackend`.

:class:`FakeSession` (an attach/exec/log-follow stream fed from a queue),
:class:`FakeContainer` (a container record) and :class:`FakeState`: the containers,
execs, images and event log the fake's route mixins share, plus the helpers tests
use to script a container (:meth:`FakeState.emit`, :meth:`FakeState.exit`).
"""

from __future__ import annotations

import asyncio
import io
import tarfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pallet.api.models import CreateRequest
from pallet.api.view_containers import ContainerSummary
from pallet.errors import NotFound
from pallet.server.backend import Wire
from pallet.system.ids import new_id

_END = (-1, b"")


class FakeSession:
    """An attach/exec session: output from a queue; stdin echoed when ``echo``."""

    def __init__(self, tty: bool, echo: bool = False, ends_with_stdin: bool = False,
                 on_stdin_closed: Callable[[], None] | None = None) -> None:
        self.tty = tty
        self.detach_keys = ""
        self.on_stdin_closed = on_stdin_closed
        self.echo = echo
        self.ends_with_stdin = ends_with_stdin
        self.received = bytearray()
        self.stdin_closed = False
        self.closed = False
        self._queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()

    def push(self, stream: int, data: bytes) -> None:
        self._queue.put_nowait((stream, data))

    def end(self) -> None:
        self._queue.put_nowait(_END)

    async def output(self) -> AsyncIterator[tuple[int, bytes]]:
        while True:
            item = await self._queue.get()
            if item is _END or item[0] < 0:
                return
            yield (1 if self.tty else item[0], item[1])

    async def write_stdin(self, data: bytes) -> None:
        self.received += data
        if self.echo:
            self.push(1, data)

    async def close_stdin(self) -> None:
        self.stdin_closed = True
        if self.ends_with_stdin:
            self.end()
            if self.on_stdin_closed is not None:
                self.on_stdin_closed()

    async def close(self) -> None:
        self.closed = True


@dataclass
class FakeContainer:
    id: str
    name: str
    config: CreateRequest
    created: float = field(default_factory=time.time)
    status: str = "created"  # created, running, paused, exited
    exit_code: int = 0
    logs: list[tuple[float, int, bytes]] = field(default_factory=list)
    sessions: list[FakeSession] = field(default_factory=list)
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    removed: asyncio.Event = field(default_factory=asyncio.Event)
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def tty(self) -> bool:
        return self.config.Tty


class FakeState:
    """Containers, execs, images and events shared by the fake's route mixins."""

    def __init__(self, spool: Path | None = None) -> None:
        self.containers: dict[str, FakeContainer] = {}
        self.execs: dict[str, dict[str, Any]] = {}
        self.images: dict[str, Wire] = {}
        self.pullable: set[str] = {"busybox", "docker.io/library/busybox"}
        self.event_log: list[Wire] = []
        self._changed = asyncio.Event()
        self._spool = spool or Path("/tmp/pallet-fake-spool")
        self.loaded: list[Path] = []
        self.add_image("busybox:latest")

    # -- helpers for tests ---------------------------------------------------------------
    def add_image(self, ref: str) -> Wire:
        image_id = "sha256:" + new_id()
        image = {"Id": image_id, "RepoTags": [ref], "RepoDigests": [], "Created": 0,
                 "Size": 1024, "Labels": {}, "ParentId": "", "Containers": -1,
                 "SharedSize": -1}
        self.images[ref] = image
        return image

    def get(self, ref: str) -> FakeContainer:
        ref = ref.lstrip("/")
        for c in self.containers.values():
            if c.id == ref or c.name == ref or (len(ref) >= 3 and c.id.startswith(ref)):
                return c
        raise NotFound(f"No such container: {ref}")

    def emit(self, c: FakeContainer, stream: int, data: bytes) -> None:
        c.logs.append((time.time(), stream, data))
        for s in c.sessions:
            s.push(stream, data)

    def exit(self, c: FakeContainer, code: int) -> None:
        c.status, c.exit_code = "exited", code
        for s in c.sessions:
            s.end()
        c.sessions.clear()
        c.exited.set()
        self._event("container", "die", c, {"exitCode": str(code)})
        if c.config.HostConfig is not None and c.config.HostConfig.AutoRemove:
            self.containers.pop(c.id, None)
            c.removed.set()
            self._event("container", "destroy", c, {})

    def _event(self, kind: str, action: str, c: FakeContainer, extra: dict[str, str]) -> None:
        now = time.time()
        self.event_log.append({
            "Type": kind, "Action": action, "scope": "local", "time": int(now),
            "timeNano": int(now * 1e9),
            "Actor": {"ID": c.id, "Attributes": {"name": c.name, **extra}},
        })
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _image(self, ref: str) -> Wire:
        if ref in self.images:
            return self.images[ref]
        if ":" not in ref.rsplit("/", 1)[-1] and f"{ref}:latest" in self.images:
            return self.images[f"{ref}:latest"]
        for image in self.images.values():
            if image["Id"] == ref or image["Id"].removeprefix("sha256:").startswith(ref):
                return image
        raise NotFound(f"No such image: {ref}")

    def _summary(self, c: FakeContainer) -> ContainerSummary:
        return ContainerSummary(
            Id=c.id, Names=["/" + c.name], Image=c.config.Image,
            Command=" ".join(c.config.Cmd or []), Created=int(c.created), State=c.status,
            Status=c.status, Labels=c.config.Labels or {})


def tar_of(name: str, data: bytes) -> bytes:
    """A tar holding one regular file ``name`` with ``data``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
