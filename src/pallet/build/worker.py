"""What the builder needs from the engine: run one RUN step in a container.

The daemon implements it over the container service (``daemon.ext_build``); the
builder itself never imports the engine. ``run`` is an async context manager:
inside it the container has exited and its root filesystem snapshot (key
``snapshot_key``) is still there to be committed; on leaving, the container is
removed (whatever happened).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pallet.images.service import ImageService
from pallet.oci.runtimemount import OciMount

Output = Callable[[bytes], Awaitable[None]]


@dataclass
class RunSpec:
    image_id: str
    argv: list[str]
    env: list[str]
    user: str = ""
    workdir: str = ""
    network: str = ""  # "" (the engine's default), "none", "host", or a network's name
    extra_hosts: list[str] = field(default_factory=list)  # "host:ip"
    mounts: list[OciMount] = field(default_factory=list)  # extra OCI mounts
    labels: dict[str, str] = field(default_factory=dict)
    on_start: Callable[[str], Awaitable[None]] | None = None  # gets the container ID


@dataclass
class RunResult:
    container_id: str
    exit_code: int
    snapshot_key: str
    mountpoints: list[str]  # every mount destination of the container


class BuildWorker(Protocol):
    images: ImageService
    state_dir: Path  # persistent: RUN --mount=type=cache directories live here
    scratch_dir: Path  # temporary files and mount points of builds

    def run(self, spec: RunSpec, output: Output) -> AbstractAsyncContextManager[RunResult]: ...
