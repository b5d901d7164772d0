"""What the HTTP server needs from the engine: small protocols it owns.

The server decodes requests, calls one of these, and encodes the answer; it
holds no Docker semantics. Errors are raised as ``pallet.errors`` kinds and
mapped to HTTP once (``pallet.server.errors``). Views (inspect, list) and answers are
msgspec Structs in the Engine API 1.44 shape (``pallet.api.view_*``, ``pallet.api.responses``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

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
from pallet.api.view_system import SystemInfo, SystemVersion
from pallet.notation.filters import Filters

Wire = dict[str, Any]


class AttachSession(Protocol):
    """A live stdio connection to a container's main process or an exec.

    ``output()`` yields ``(stream, data)`` with stream 1 (stdout) or 2 (stderr)
    and ends when the process's output ends. With ``tty`` the server sends the
    bytes raw, otherwise with the 8-byte multiplexed frame header. ``detach_keys`` is the
    session's own detach sequence in Docker's notation ("" for the default ctrl-p,ctrl-q).
    """

    tty: bool
    detach_keys: str

    def output(self) -> AsyncIterator[tuple[int, bytes]]: ...

    async def write_stdin(self, data: bytes) -> None: ...

    async def close_stdin(self) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class LogOptions:
    follow: bool = False
    stdout: bool = True
    stderr: bool = True
    since: float = 0.0
    until: float = 0.0
    timestamps: bool = False
    tail: int = -1  # -1 = all


@dataclass(frozen=True)
class PathStat:
    """Docker's ``X-Docker-Container-Path-Stat`` (base64 JSON in a header)."""

    name: str
    size: int
    mode: int  # Go's os.FileMode bits
    mtime: str
    link_target: str


class ContainerBackend(Protocol):
    async def create(self, name: str | None, body: CreateRequest) -> tuple[str, list[str]]:
        """Create a container; returns its ID and warnings."""

    async def list(self, all: bool, limit: int, size: bool, filters: Filters
                   ) -> list[ContainerSummary]: ...

    async def inspect(self, ref: str, size: bool = False) -> ContainerInspect: ...

    async def start(self, ref: str) -> None:
        """Start; raises NotModified if it is already running."""

    async def stop(self, ref: str, timeout: int | None, signal: str | None) -> None: ...

    async def restart(self, ref: str, timeout: int | None, signal: str | None) -> None: ...

    async def kill(self, ref: str, signal: str) -> None: ...

    async def pause(self, ref: str) -> None: ...

    async def unpause(self, ref: str) -> None: ...

    async def remove(self, ref: str, force: bool, volumes: bool) -> None: ...

    async def remove_link(self, parent: str, alias: str) -> None:
        """Drop the legacy link ``alias`` of container ``parent``."""

    async def rename(self, ref: str, new_name: str) -> None: ...

    async def wait(self, ref: str, condition: str) -> WaitResponse:
        """Block until the condition (not-running, next-exit, removed); returns
        ``{"StatusCode": n, "Error": None | {"Message": ...}}``."""

    async def top(self, ref: str, ps_args: str) -> ContainerTop: ...

    async def resize(self, ref: str, height: int, width: int) -> None: ...

    async def prune(self, filters: Filters) -> ContainersPruned:
        """``{"ContainersDeleted": [...], "SpaceReclaimed": n}``"""


class StreamBackend(Protocol):
    async def logs(
        self, ref: str, opts: LogOptions
    ) -> tuple[bool, AsyncIterator[tuple[int, bytes]]]:
        """``(tty, chunks)``; each chunk is ``(stream, data)``."""

    async def attach(
        self, ref: str, stdin: bool, stdout: bool, stderr: bool, logs: bool, stream: bool
    ) -> AttachSession: ...


class ArchiveBackend(Protocol):
    async def archive_stat(self, ref: str, path: str) -> PathStat: ...

    async def archive_get(self, ref: str, path: str) -> tuple[PathStat, AsyncIterator[bytes]]:
        """A tar stream of ``path`` inside the container; nothing escapes its rootfs."""

    async def archive_put(
        self, ref: str, path: str, body: AsyncIterator[bytes], no_overwrite_dir_non_dir: bool
    ) -> None: ...


class ExecBackend(Protocol):
    async def exec_create(self, ref: str, config: ExecConfig) -> str: ...

    async def exec_start(self, exec_id: str, detach: bool, tty: bool) -> AttachSession | None:
        """None when detached."""

    async def exec_resize(self, exec_id: str, height: int, width: int) -> None: ...

    async def exec_inspect(self, exec_id: str) -> ExecInspect: ...


class ImageBackend(Protocol):
    async def images_list(self, all: bool, filters: Filters, digests: bool
                          ) -> list[ImageSummary]: ...

    async def image_inspect(self, ref: str) -> ImageInspect: ...

    async def image_history(self, ref: str) -> list[HistoryItem]: ...

    async def image_tag(self, ref: str, repo: str, tag: str) -> None: ...

    async def image_remove(self, ref: str, force: bool, noprune: bool
                           ) -> list[ImageDeleted]:
        """``[{"Untagged": ref} | {"Deleted": id}, ...]``"""

    async def images_prune(self, filters: Filters) -> ImagesPruned:
        """``{"ImagesDeleted": [...], "SpaceReclaimed": n}``"""

    def image_save(self, refs: list[str]) -> AsyncIterator[bytes]:
        """A docker-archive tar (with an OCI layout inside, as Docker 25+ writes)."""

    async def image_load(self, archive: Path, quiet: bool) -> list[str]:
        """Load a spooled archive; returns Docker's ``Loaded image: ...`` lines."""

    async def image_import(self, archive: Path, repo: str, tag: str, changes: list[str],
                           message: str) -> str:
        """Import a rootfs tar as a one-layer image; returns its ID."""

    async def image_pull(self, image: str, tag: str, auth: str, platform: str = "",
                         all_tags: bool = False) -> AsyncIterator[Wire]:
        """Pull progress messages (Docker's JSON progress)."""

    def spool_dir(self) -> Path:
        """Where the server may spool request bodies (same filesystem as the store)."""


class SystemBackend(Protocol):
    async def version(self) -> SystemVersion: ...

    async def info(self) -> SystemInfo: ...

    def events(self, since: float | None, until: float | None, filters: Filters
               ) -> AsyncIterator[Event]: ...


class BootstrapBackend(Protocol):
    async def image_bootstrap(self, name: str) -> str: ...


class Backend(ContainerBackend, StreamBackend, ArchiveBackend, ExecBackend, ImageBackend,
              SystemBackend, BootstrapBackend, Protocol):
    """The engine core's routers together: what :func:`pallet.server.app.core_routers`
    takes (the daemon's engine backend, and the tests' fake)."""
