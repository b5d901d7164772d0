"""Adapters from the concrete parts to the engine's ports (``pallet.engine.ports``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from pallet.errors import Unavailable
from pallet.runtime.attach import AttachConnection
from pallet.runtime.conmon import ConmonRuntime, RuntimeState
from pallet.runtime.exec import ExecProcess


class AttachAdapter:
    def __init__(self, conn: AttachConnection) -> None:
        self._conn = conn

    async def output(self) -> AsyncIterator[tuple[int, bytes]]:
        while (frame := await self._conn.read()) is not None:
            yield frame

    async def write_stdin(self, data: bytes) -> None:
        await self._conn.write(data)

    async def close_stdin(self) -> None:
        self._conn.close_stdin()

    async def close(self) -> None:
        self._conn.close()


class ExecAdapter:
    def __init__(self, proc: ExecProcess) -> None:
        self._proc = proc

    @property
    def pid(self) -> int:
        return self._proc.pid or 0

    async def output(self) -> AsyncIterator[tuple[int, bytes]]:
        while (frame := await self._proc.read()) is not None:
            yield frame

    async def write_stdin(self, data: bytes) -> None:
        await self._proc.write(data)

    async def close_stdin(self) -> None:
        await self._proc.close_stdin()

    async def resize(self, height: int, width: int) -> None:
        self._proc.resize(height, width)

    async def wait(self) -> int:
        return await self._proc.wait()

    async def close(self) -> None:
        await self._proc.close()


class RuntimeAdapter:
    """``ConmonRuntime`` as the engine's ``Runtime`` port.

    One ``ConmonRuntime`` per OCI runtime (crun, runc), each with its own state
    root; ``runtime_of(cid)`` says which one a container was created with.
    """

    def __init__(self, runtimes: dict[str, ConmonRuntime], default: str,
                 runtime_of: Callable[[str], str | None]) -> None:
        self.runtimes = runtimes
        self.default = default
        self.runtime_of = runtime_of

    def _rt(self, cid: str) -> ConmonRuntime:
        name = self.runtime_of(cid) or self.default
        rt = self.runtimes.get(name)
        if rt is None:
            raise Unavailable(f"OCI runtime {name} is not installed")
        return rt

    async def create(self, cid: str, bundle: Path, *, terminal: bool, stdin: bool,
                     stdin_once: bool, log_path: Path, log_size_max: int = -1) -> int:
        return await self._rt(cid).create(cid, bundle, terminal=terminal, stdin=stdin,
                                          stdin_once=stdin_once, log_path=log_path,
                                          log_size_max=log_size_max)

    async def start(self, cid: str) -> None:
        await self._rt(cid).start(cid)

    async def kill(self, cid: str, signal: int) -> None:
        await self._rt(cid).kill(cid, signal)

    async def pause(self, cid: str) -> None:
        await self._rt(cid).pause(cid)

    async def resume(self, cid: str) -> None:
        await self._rt(cid).resume(cid)

    async def delete(self, cid: str, force: bool = False) -> None:
        await self._rt(cid).delete(cid, force)

    async def state(self, cid: str) -> RuntimeState | None:
        return await self._rt(cid).state(cid)

    async def list(self) -> list[RuntimeState]:
        return [st for rt in self.runtimes.values() for st in await rt.list()]

    async def discard(self, cid: str, bundle: Path) -> None:
        name = self.runtime_of(cid)
        if name in self.runtimes:
            await self.runtimes[name].discard(cid, bundle)
            return
        for rt in self.runtimes.values():  # no record says which: try each runtime
            await rt.discard(cid, bundle)

    def forget(self, cid: str) -> None:
        for rt in self.runtimes.values():
            rt.forget(cid)

    def leftover_ids(self) -> set[str]:
        return {cid for rt in self.runtimes.values() for cid in rt.leftover_ids()}

    def exit_code(self, cid: str, bundle: Path) -> int | None:
        return self._rt(cid).exit_code(cid, bundle)

    def oom_killed(self, bundle: Path) -> bool:
        return self.runtimes[self.default].oom_killed(bundle)

    async def attach(self, cid: str, bundle: Path) -> AttachAdapter:
        conn = await AttachConnection.open(self._rt(cid).attach_socket_path(cid, bundle))
        return AttachAdapter(conn)

    async def resize(self, bundle: Path, height: int, width: int) -> None:
        await self.runtimes[self.default].resize(bundle, height, width)

    async def exec(self, cid: str, process: dict[str, Any], *, tty: bool,
                   stdin: bool) -> ExecAdapter:
        return ExecAdapter(await self._rt(cid).exec(cid, process, tty=tty, stdin=stdin))
