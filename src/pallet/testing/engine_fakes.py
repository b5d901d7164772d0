"""Fakes of the engine's ports (``pallet.engine.ports``) for tests without root.

``FakeRuntime`` runs nothing: a container "runs" until the test calls
``finish(cid, code)`` or sends it a signal, which it answers the way a shell
would (TERM -> 143 unless ignored, KILL -> 137).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal as signals
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pallet.api.view_config import ConfigView, decode_config
from pallet.errors import CommandFailed, NotFound


@dataclass
class FakeState:
    status: str
    pid: int
    id: str = ""


@dataclass
class FakeImage:
    id: str
    config: dict[str, Any]
    repo_tags: list[str] = field(default_factory=list)
    size: int = 0

    @property
    def run_config(self) -> ConfigView:
        return decode_config(self.config.get("config"))


class FakeImages:
    def __init__(self, *images: FakeImage) -> None:
        self.images = {img.id: img for img in images}

    def resolve(self, ref: str) -> FakeImage:
        for img in self.images.values():
            if ref in (img.id, img.id.removeprefix("sha256:")) or ref in img.repo_tags or (
                    ":" not in ref and f"{ref}:latest" in img.repo_tags):
                return img
        raise NotFound(f"No such image: {ref}")


class FakeRootfs:
    def __init__(self) -> None:
        self.prepared: set[str] = set()
        self.mounted: set[Path] = set()

    def prepare(self, cid: str, image_id: str) -> None:
        self.prepared.add(cid)

    def guard(self) -> contextlib.AbstractAsyncContextManager[None]:
        return contextlib.nullcontext()

    def mount(self, cid: str, target: Path) -> None:
        (target / "etc").mkdir(parents=True, exist_ok=True)
        (target / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
        self.mounted.add(target)

    def unmount(self, target: Path) -> None:
        self.mounted.discard(target)

    def release(self, cid: str) -> None:
        self.prepared.discard(cid)

    def usage(self, cid: str) -> int:
        return 0


class FakeAttach:
    def __init__(self, rt: FakeRuntime, cid: str) -> None:
        self.queue: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()
        rt.attached.setdefault(cid, []).append(self)
        self.stdin = bytearray()
        self.stdin_closed = False

    async def output(self) -> AsyncIterator[tuple[int, bytes]]:
        while (item := await self.queue.get()) is not None:
            yield item

    async def write_stdin(self, data: bytes) -> None:
        self.stdin += data

    async def close_stdin(self) -> None:
        self.stdin_closed = True

    async def close(self) -> None:
        pass


class FakeRuntime:
    def __init__(self, exits: asyncio.Queue[str] | None = None) -> None:
        self.states: dict[str, FakeState] = {}
        self.codes: dict[str, int] = {}
        self.ignore_term: set[str] = set()
        self.fail_create: dict[str, str] = {}  # args[0] -> runtime error text
        self.attached: dict[str, list[FakeAttach]] = {}
        self.exits: asyncio.Queue[str] = exits or asyncio.Queue()
        self.leftovers: set[str] = set()  # ids with monitor files outside their bundle
        self._pid = 1000

    async def create(self, cid: str, bundle: Path, *, terminal: bool, stdin: bool,
                     stdin_once: bool, log_path: Path, log_size_max: int = -1) -> int:
        import json
        args = json.loads((bundle / "config.json").read_text())["process"]["args"]
        if args[0] in self.fail_create:
            raise CommandFailed(["crun", "create"], 1, self.fail_create[args[0]])
        self._pid += 1
        self.states[cid] = FakeState("created", self._pid, cid)
        self.codes.pop(cid, None)
        return self._pid

    async def start(self, cid: str) -> None:
        self.states[cid].status = "running"

    def finish(self, cid: str, code: int) -> None:
        """The container's process exits with ``code``."""
        self.codes[cid] = code
        self.states[cid].status = "stopped"
        self.leftovers.add(cid)  # conmon's exit file
        for a in self.attached.pop(cid, []):
            a.queue.put_nowait(None)
        self.exits.put_nowait(cid)

    async def kill(self, cid: str, signal: int) -> None:
        if cid not in self.states:
            raise NotFound(f"container {cid} does not exist")
        if signal == signals.SIGKILL:
            self.finish(cid, 137)
        elif signal == signals.SIGTERM and cid not in self.ignore_term:
            self.finish(cid, 143)

    async def pause(self, cid: str) -> None:
        self.states[cid].status = "paused"

    async def resume(self, cid: str) -> None:
        self.states[cid].status = "running"

    async def delete(self, cid: str, force: bool = False) -> None:
        self.states.pop(cid, None)

    async def state(self, cid: str) -> FakeState | None:
        return self.states.get(cid)

    async def list(self) -> list[FakeState]:
        return list(self.states.values())

    async def discard(self, cid: str, bundle: Path) -> None:
        if self.states.pop(cid, None) is not None:
            self.codes.setdefault(cid, 137)  # as conmon records a killed init
        self.leftovers.discard(cid)

    def forget(self, cid: str) -> None:
        self.leftovers.discard(cid)

    def leftover_ids(self) -> set[str]:
        return set(self.leftovers)

    def exit_code(self, cid: str, bundle: Path) -> int | None:
        return self.codes.get(cid)

    def oom_killed(self, bundle: Path) -> bool:
        return False

    async def attach(self, cid: str, bundle: Path) -> FakeAttach:
        return FakeAttach(self, cid)

    async def resize(self, bundle: Path, height: int, width: int) -> None:
        pass

    async def exec(self, cid: str, process: dict[str, Any], *, tty: bool,
                   stdin: bool) -> Any:
        raise NotImplementedError


class ClosableEnv(Protocol):
    def close(self) -> None: ...


E = TypeVar("E", bound=ClosableEnv)


def env_test(make: Callable[[Path], E]) -> Callable[[Callable[[E], Awaitable[None]]],
                                                   Callable[[Path], None]]:
    """Decorator for async test bodies: a fresh env from ``make(tmp_path)`` inside
    ``asyncio.run``, closed afterwards even if the body fails (no pytest-asyncio)."""
    def decorate(body: Callable[[E], Awaitable[None]]) -> Callable[[Path], None]:
        def test(tmp_path: Path) -> None:
            async def main() -> None:
                env = make(tmp_path)
                try:
                    await body(env)
                finally:
                    env.close()
            asyncio.run(main())
        test.__name__ = body.__name__
        return test
    return decorate


def container_service(store: Any, images: Any, rootfs: Any, runtime: Any, events: Any,
                      containers_dir: Path, host: Any, runtime_name: str = "crun",
                      plugins: list[Any] | None = None) -> Any:
    """A ContainerService composed as the daemon's wiring composes it, over fakes."""
    from pallet.engine.containers import ContainerService
    from pallet.engine.control import ProcessControl
    from pallet.engine.ctrcore import ContainerCore
    from pallet.engine.exits import ExitHandler
    from pallet.engine.reconcile import Reconciler
    from pallet.engine.removal import Removal
    from pallet.engine.starting import Starter

    core = ContainerCore(store, rootfs, runtime, events, containers_dir, host, runtime_name,
                         plugins)
    removal = Removal(core)
    starter = Starter(core, removal)
    exits = ExitHandler(core, removal)
    return ContainerService(core, images, starter, ProcessControl(core, starter), exits,
                            removal, Reconciler(core, removal, exits))
