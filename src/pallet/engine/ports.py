"""What the engine needs from the parts below it: small protocols it owns.

The daemon's wiring passes the real implementations (``pallet.runtime``,
``pallet.images``, ``pallet.snapshots``); stack tests pass the fakes from
``pallet.testing``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Protocol

from pallet.api.view_config import ConfigView


class RuntimeStateView(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def pid(self) -> int: ...


class ExecProcessView(Protocol):
    """A process started by ``Runtime.exec``."""

    @property
    def pid(self) -> int: ...

    def output(self) -> AsyncIterator[tuple[int, bytes]]: ...

    async def write_stdin(self, data: bytes) -> None: ...

    async def close_stdin(self) -> None: ...

    async def resize(self, height: int, width: int) -> None: ...

    async def wait(self) -> int: ...

    async def close(self) -> None: ...


class AttachView(Protocol):
    """A connection to a container's stdio held by its monitor."""

    def output(self) -> AsyncIterator[tuple[int, bytes]]: ...

    async def write_stdin(self, data: bytes) -> None: ...

    async def close_stdin(self) -> None: ...

    async def close(self) -> None: ...


class Runtime(Protocol):
    """An OCI runtime behind a per-container monitor; no Docker state."""

    async def create(self, cid: str, bundle: Path, *, terminal: bool, stdin: bool,
                     stdin_once: bool, log_path: Path, log_size_max: int = -1) -> int: ...

    async def start(self, cid: str) -> None: ...

    async def kill(self, cid: str, signal: int) -> None: ...

    async def pause(self, cid: str) -> None: ...

    async def resume(self, cid: str) -> None: ...

    async def delete(self, cid: str, force: bool = False) -> None: ...

    async def state(self, cid: str) -> RuntimeStateView | None: ...

    async def list(self) -> Sequence[RuntimeStateView]:
        """Every container the runtime knows (all runtimes)."""
        ...

    async def discard(self, cid: str, bundle: Path) -> None:
        """End a container whose start was cut short: process, runtime state, monitor."""
        ...

    def forget(self, cid: str) -> None:
        """Drop the monitor's files kept outside the bundle (a container is removed)."""
        ...

    def leftover_ids(self) -> set[str]:
        """Ids that have monitor files outside a bundle."""
        ...

    def exit_code(self, cid: str, bundle: Path) -> int | None: ...

    def oom_killed(self, bundle: Path) -> bool: ...

    async def attach(self, cid: str, bundle: Path) -> AttachView: ...

    async def resize(self, bundle: Path, height: int, width: int) -> None: ...

    async def exec(self, cid: str, process: dict[str, Any], *, tty: bool,
                   stdin: bool) -> ExecProcessView: ...


class ImageView(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def run_config(self) -> ConfigView:
        """The image config's ``config`` object (Env, Cmd, Entrypoint, ...), typed."""
        ...

    @property
    def repo_tags(self) -> Sequence[str]: ...


class Rootfs(Protocol):
    """Container root filesystems on top of images (snapshots + mounts)."""

    def prepare(self, cid: str, image_id: str) -> None: ...

    def guard(self) -> AbstractAsyncContextManager[None]:
        """Held from ``prepare`` until the container's record is stored (so the store's
        garbage collector never sees the snapshot without its record)."""
        ...

    def mount(self, cid: str, target: Path) -> None: ...

    def unmount(self, target: Path) -> None: ...

    def release(self, cid: str) -> None: ...

    def usage(self, cid: str) -> int: ...
