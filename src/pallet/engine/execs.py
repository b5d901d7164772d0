"""Exec sessions: extra processes in a running container (``docker exec``).

Records live in memory, as in dockerd: they vanish with the daemon. The process
spec is the container's own (capabilities, rlimits, seccomp, user) with the
exec's command, environment, user and working directory on top.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from pallet.api.models import ExecConfig
from pallet.api.responses import ExecInspect, ProcessConfig
from pallet.engine.containers import ContainerService
from pallet.engine.lifecycle import Op, next_state
from pallet.engine.ports import ExecProcessView
from pallet.engine.records import Container
from pallet.errors import Conflict, InvalidArgument, NotFound
from pallet.notation import detachkeys
from pallet.runtime.users import resolve_user
from pallet.system.ids import new_id
from pallet.system.securejoin import read_inside


@dataclass
class ExecRecord:
    id: str
    container_id: str
    config: ExecConfig
    running: bool = False
    exit_code: int | None = None
    pid: int = 0
    started: bool = False
    process: ExecProcessView | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


class ExecSession:
    """The AttachSession of one exec process.

    ``tty`` is the start request's: as in Docker, it decides the framing of the stream (raw or
    multiplexed), whatever the exec was created with; the process's own terminal is the
    create request's.
    """

    def __init__(self, rec: ExecRecord, proc: ExecProcessView, svc: ExecService,
                 tty: bool) -> None:
        self.tty = tty
        self.detach_keys = rec.config.DetachKeys
        self._rec = rec
        self._proc = proc
        self._svc = svc

    async def output(self) -> AsyncIterator[tuple[int, bytes]]:
        want = {1: self._rec.config.AttachStdout, 2: self._rec.config.AttachStderr}
        async for stream, data in self._proc.output():
            if want.get(stream, False) or self._rec.config.Tty:
                yield stream, data
        await self._rec.done.wait()

    async def write_stdin(self, data: bytes) -> None:
        if self._rec.config.AttachStdin:
            await self._proc.write_stdin(data)

    async def close_stdin(self) -> None:
        await self._proc.close_stdin()

    async def close(self) -> None:
        if self._rec.running:  # detached (or the client left): it runs on, as in Docker
            self._svc.release_when_done(self._rec, self._proc)
            return
        await self._proc.close()


class ExecService:
    def __init__(self, containers: ContainerService) -> None:
        self._c = containers
        self._execs: dict[str, ExecRecord] = {}
        self._unattached: set[asyncio.Task[None]] = set()

    def release_when_done(self, rec: ExecRecord, proc: ExecProcessView) -> None:
        """Nobody reads a still running exec any more: its output is read and dropped (so
        it never blocks on a full pipe or terminal) and its fds are released at its end."""

        async def drain() -> None:
            try:
                async for _ in proc.output():
                    pass
                await rec.done.wait()
            finally:
                await proc.close()

        task = asyncio.get_running_loop().create_task(drain())
        self._unattached.add(task)
        task.add_done_callback(self._unattached.discard)

    def ids_for(self, cid: str) -> list[str]:
        return [e.id for e in self._execs.values() if e.container_id == cid]

    def get(self, exec_id: str) -> ExecRecord:
        rec = self._execs.get(exec_id)
        if rec is None:
            raise NotFound(f"No such exec instance: {exec_id}")
        return rec

    async def create(self, ref: str, config: ExecConfig) -> str:
        c = self._c.resolve(ref)
        if c.status.value == "paused":
            raise Conflict(f"Container {c.id} is paused, unpause the container before exec")
        next_state(Op.EXEC, c.status, c.name)
        if not config.Cmd:
            raise InvalidArgument("No exec command specified")
        detachkeys.parse_or_default(config.DetachKeys)
        rec = ExecRecord(id=new_id(), container_id=c.id, config=config)
        self._execs[rec.id] = rec
        self._c.event(c, f"exec_create: {' '.join(config.Cmd)}", execID=rec.id)
        return rec.id

    def _process(self, rec: ExecRecord, c: Container) -> dict[str, Any]:
        bundle = self._c.bundle(c.id)
        spec = json.loads((bundle / "config.json").read_text())
        proc: dict[str, Any] = spec["process"]
        cfg = rec.config
        if cfg.User:
            user = resolve_user(cfg.User, read_inside(bundle / "rootfs", "/etc/passwd"),
                                read_inside(bundle / "rootfs", "/etc/group"))
            proc["user"] = {"uid": user.uid, "gid": user.gid,
                            "additionalGids": list(user.additional_gids)}
        env: dict[str, str] = {}
        for entry in [*proc.get("env", []), *(cfg.Env or [])]:
            key, _, _ = entry.partition("=")
            env[key] = entry
        proc["env"] = list(env.values())
        proc["args"] = list(cfg.Cmd or [])
        proc["cwd"] = cfg.WorkingDir or proc.get("cwd", "/")
        proc["terminal"] = cfg.Tty
        if cfg.ConsoleSize and len(cfg.ConsoleSize) == 2 and all(cfg.ConsoleSize):
            proc["consoleSize"] = {"height": cfg.ConsoleSize[0], "width": cfg.ConsoleSize[1]}
        else:
            proc.pop("consoleSize", None)
        if cfg.Privileged:
            raise InvalidArgument("privileged exec is not supported")
        return proc

    async def start(self, exec_id: str, detach: bool, tty: bool) -> ExecSession | None:
        rec = self.get(exec_id)
        if rec.started:
            raise Conflict(f"Error: Exec command {exec_id} has already run")
        c = self._c.resolve(rec.container_id)
        next_state(Op.EXEC, c.status, c.name)
        rec.started = True
        proc = await self._c.runtime.exec(
            c.id, self._process(rec, c), tty=rec.config.Tty,
            stdin=rec.config.AttachStdin and not detach,
        )
        rec.process, rec.pid, rec.running = proc, proc.pid, True
        self._c.event(c, f"exec_start: {' '.join(rec.config.Cmd or [])}", execID=rec.id)
        asyncio.get_running_loop().create_task(self._reap(rec, proc))
        if detach:
            return None
        return ExecSession(rec, proc, self, tty)

    async def _reap(self, rec: ExecRecord, proc: ExecProcessView) -> None:
        try:
            rec.exit_code = await proc.wait()
        finally:
            rec.running = False
            rec.done.set()
            with contextlib.suppress(NotFound):
                c = self._c.resolve(rec.container_id)
                self._c.event(c, "exec_die", execID=rec.id, exitCode=str(rec.exit_code))

    async def resize(self, exec_id: str, height: int, width: int) -> None:
        rec = self.get(exec_id)
        if rec.process is None:
            raise Conflict(f"Exec {exec_id} is not running")
        await rec.process.resize(height, width)

    def inspect(self, exec_id: str) -> ExecInspect:
        rec = self.get(exec_id)
        cmd = list(rec.config.Cmd or [])
        return ExecInspect(
            ID=rec.id, Running=rec.running, ExitCode=rec.exit_code,
            ProcessConfig=ProcessConfig(
                tty=rec.config.Tty, entrypoint=cmd[0] if cmd else "", arguments=cmd[1:],
                privileged=rec.config.Privileged, user=rec.config.User),
            OpenStdin=rec.config.AttachStdin, OpenStderr=rec.config.AttachStderr,
            OpenStdout=rec.config.AttachStdout, CanRemove=False,
            ContainerID=rec.container_id, DetachKeys=rec.config.DetachKeys, Pid=rec.pid)

    def forget_container(self, cid: str) -> None:
        for eid in self.ids_for(cid):
            self._execs.pop(eid, None)
