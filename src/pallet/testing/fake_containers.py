"""Container and exec routes of the fake backend, with its tiny "process" model.

On start, ``Cmd`` ``["echo", ...]`` prints its arguments and exits 0, ``["cat"]``
echoes stdin to stdout until stdin closes, ``["false"]`` exits 1, anything else runs
until stopped or killed. Output goes to the logs and to every attach session. Execs
run ``echo`` and ``cat`` the same way and exit 0.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import AsyncIterator
from typing import Any

import msgspec

from pallet.api.models import CreateRequest, ExecConfig
from pallet.api.responses import ContainersPruned, ContainerTop, ExecInspect, WaitResponse
from pallet.api.view_containers import ContainerInspect, ContainerSummary
from pallet.errors import Conflict, InvalidArgument, NotFound, NotModified
from pallet.notation.filters import Filters
from pallet.server.backend import AttachSession, LogOptions, PathStat
from pallet.system.ids import new_id
from pallet.testing.fake_state import FakeContainer, FakeSession, FakeState, tar_of


class FakeContainerOps(FakeState):
    """The container and exec Backend routes over :class:`FakeState`."""

    async def create(self, name: str | None, body: CreateRequest) -> tuple[str, list[str]]:
        if not body.Image:
            raise InvalidArgument("config.Image must be set")
        self._image(body.Image)
        if name and any(c.name == name for c in self.containers.values()):
            raise Conflict(f'Conflict. The container name "/{name}" is already in use')
        cid = new_id()
        c = FakeContainer(cid, name or f"fake_{cid[:6]}", body)
        self.containers[cid] = c
        self._event("container", "create", c, {})
        return cid, []

    async def list(self, all: bool, limit: int, size: bool, filters: Filters
                   ) -> builtins.list[ContainerSummary]:
        out = []
        for c in sorted(self.containers.values(), key=lambda c: -c.created):
            if not all and c.status != "running" and "status" not in filters:
                continue
            if "status" in filters and c.status not in filters["status"]:
                continue
            if "name" in filters and not any(n in c.name for n in filters["name"]):
                continue
            if "label" in filters:
                labels = c.config.Labels or {}
                if not builtins.all(_label_match(labels, f) for f in filters["label"]):
                    continue
            out.append(self._summary(c))
        return out[:limit] if limit > 0 else out

    async def inspect(self, ref: str, size: bool = False) -> ContainerInspect:
        c = self.get(ref)
        return msgspec.convert({
            "Id": c.id, "Name": "/" + c.name, "Created": "2024-01-01T00:00:00Z",
            "Path": (c.config.Cmd or [""])[0], "Args": (c.config.Cmd or [])[1:],
            "State": {"Status": c.status, "Running": c.status in ("running", "paused"),
                      "Paused": c.status == "paused", "ExitCode": c.exit_code, "Pid": 0},
            "Image": self._image(c.config.Image)["Id"],
            "Config": {"Image": c.config.Image, "Cmd": c.config.Cmd, "Tty": c.config.Tty,
                       "OpenStdin": c.config.OpenStdin, "Labels": c.config.Labels or {},
                       "Env": c.config.Env or []},
            "HostConfig": {"LogConfig": {"Type": "json-file", "Config": {}},
                           "AutoRemove": bool(c.config.HostConfig and
                                              c.config.HostConfig.AutoRemove)},
            "NetworkSettings": {"Networks": {}, "Ports": {}},
            "Mounts": [],
        }, ContainerInspect)

    async def start(self, ref: str) -> None:
        c = self.get(ref)
        if c.status in ("running", "paused"):
            raise NotModified("container already started")
        c.status = "running"
        c.exited.clear()
        self._event("container", "start", c, {})
        cmd = c.config.Cmd or []
        if cmd[:1] == ["echo"]:
            self.emit(c, 1, (" ".join(cmd[1:]) + "\n").encode())
            self.exit(c, 0)
        elif cmd[:1] == ["false"]:
            self.exit(c, 1)
        elif cmd[:1] == ["cat"] and any(s.stdin_closed for s in c.sessions):
            self.exit(c, 0)  # stdin ended before the start: cat reads it all and exits

    async def stop(self, ref: str, timeout: int | None, signal: str | None) -> None:
        c = self.get(ref)
        if c.status not in ("running", "paused"):
            raise NotModified("container already stopped")
        self.exit(c, 137 if timeout == 0 else 143)

    async def restart(self, ref: str, timeout: int | None, signal: str | None) -> None:
        c = self.get(ref)
        if c.status in ("running", "paused"):
            self.exit(c, 143)
        await self.start(ref)

    async def kill(self, ref: str, signal: str) -> None:
        c = self.get(ref)
        if c.status != "running":
            raise Conflict(f"Container {c.id} is not running")
        self.exit(c, 137)

    async def pause(self, ref: str) -> None:
        c = self.get(ref)
        if c.status != "running":
            raise Conflict(f"Container {c.id} is not running")
        c.status = "paused"

    async def unpause(self, ref: str) -> None:
        c = self.get(ref)
        if c.status != "paused":
            raise Conflict(f"Container {c.id} is not paused")
        c.status = "running"

    async def remove_link(self, parent: str, alias: str) -> None:
        self.get(parent)
        raise NotFound(f"Could not find link /{parent}/{alias}")

    async def remove(self, ref: str, force: bool, volumes: bool) -> None:
        c = self.get(ref)
        if c.status in ("running", "paused"):
            if not force:
                raise Conflict(
                    f"You cannot remove a running container {c.id}. "
                    "Stop the container before attempting removal or force remove")
            self.exit(c, 137)
        del self.containers[c.id]
        c.removed.set()
        self._event("container", "destroy", c, {})

    async def rename(self, ref: str, new_name: str) -> None:
        c = self.get(ref)
        if any(o.name == new_name for o in self.containers.values() if o is not c):
            raise Conflict(f'Conflict. The container name "/{new_name}" is already in use')
        c.name = new_name

    async def wait(self, ref: str, condition: str) -> WaitResponse:
        c = self.get(ref)
        if condition == "removed":
            await c.removed.wait()
        elif condition == "next-exit" or c.status in ("running", "paused", "created"):
            if condition == "next-exit":
                c.exited.clear()
            await c.exited.wait()
        return WaitResponse(StatusCode=c.exit_code)

    async def top(self, ref: str, ps_args: str) -> ContainerTop:
        c = self.get(ref)
        if c.status != "running":
            raise Conflict(f"Container {c.id} is not running")
        return ContainerTop(Titles=["PID", "CMD"],
                            Processes=[["1", " ".join(c.config.Cmd or [])]])

    async def logs(self, ref: str, opts: LogOptions
                   ) -> tuple[bool, AsyncIterator[tuple[int, bytes]]]:
        c = self.get(ref)
        entries = [e for e in c.logs
                   if (opts.stdout or e[1] != 1) and (opts.stderr or e[1] != 2)
                   and e[0] >= opts.since and (not opts.until or e[0] <= opts.until)]
        if opts.tail >= 0:
            entries = entries[len(entries) - opts.tail:] if opts.tail else []
        session = None
        if opts.follow and c.status == "running":
            session = FakeSession(c.tty)
            c.sessions.append(session)

        async def gen() -> AsyncIterator[tuple[int, bytes]]:
            for ts, stream, data in entries:
                if opts.timestamps:
                    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))
                    data = f"{stamp}.000000000Z ".encode() + data
                yield stream, data
            if session is not None:
                async for item in session.output():
                    yield item

        return c.tty, gen()

    async def attach(self, ref: str, stdin: bool, stdout: bool, stderr: bool, logs: bool,
                     stream: bool) -> AttachSession:
        c = self.get(ref)
        cat = (c.config.Cmd or [])[:1] == ["cat"]

        def stdin_closed() -> None:  # cat exits when its stdin ends
            if c.status == "running":
                self.exit(c, 0)

        session = FakeSession(c.tty, echo=cat, ends_with_stdin=cat, on_stdin_closed=stdin_closed)
        if logs:
            for _, s, data in c.logs:
                session.push(s, data)
        if stream and c.status != "exited":
            c.sessions.append(session)
        else:
            session.end()
        return session

    async def resize(self, ref: str, height: int, width: int) -> None:
        self.get(ref)

    async def archive_stat(self, ref: str, path: str) -> PathStat:
        c = self.get(ref)
        if path not in c.files:
            raise NotFound(f"Could not find the file {path} in container {c.name}")
        return PathStat(path.rsplit("/", 1)[-1], len(c.files[path]), 0o644,
                        "2024-01-01T00:00:00Z", "")

    async def archive_get(self, ref: str, path: str) -> tuple[PathStat, AsyncIterator[bytes]]:
        st = await self.archive_stat(ref, path)
        data = self.get(ref).files[path]

        async def gen() -> AsyncIterator[bytes]:
            yield tar_of(st.name, data)

        return st, gen()

    async def archive_put(self, ref: str, path: str, body: AsyncIterator[bytes],
                          no_overwrite_dir_non_dir: bool) -> None:
        c = self.get(ref)
        data = b"".join([chunk async for chunk in body])
        c.files[path.rstrip("/") + "/.uploaded.tar"] = data

    async def prune(self, filters: Filters) -> ContainersPruned:
        gone = [c.id for c in self.containers.values() if c.status in ("exited", "created")]
        for cid in gone:
            del self.containers[cid]
        return ContainersPruned(ContainersDeleted=gone, SpaceReclaimed=0)

    # -- exec ----------------------------------------------------------------------------
    async def exec_create(self, ref: str, config: ExecConfig) -> str:
        c = self.get(ref)
        if c.status != "running":
            raise Conflict(f"Container {c.id} is not running")
        exec_id = new_id()
        self.execs[exec_id] = {"ID": exec_id, "ContainerID": c.id, "Running": False,
                               "ExitCode": None, "OpenStdin": config.AttachStdin,
                               "ProcessConfig": {"tty": config.Tty,
                                                 "entrypoint": (config.Cmd or [""])[0],
                                                 "arguments": (config.Cmd or [])[1:]},
                               "_cmd": config.Cmd or []}
        return exec_id

    async def exec_start(self, exec_id: str, detach: bool, tty: bool) -> AttachSession | None:
        ex = self._exec(exec_id)
        if ex["Running"] or ex["ExitCode"] is not None:
            raise Conflict(f"Error: Exec command {exec_id} is already running")
        cmd: builtins.list[str] = ex["_cmd"]
        ex["ExitCode"] = 0
        if detach:
            return None
        cat = cmd[:1] == ["cat"]
        session = FakeSession(tty, echo=cat, ends_with_stdin=cat)
        if cmd[:1] == ["echo"]:
            session.push(1, (" ".join(cmd[1:]) + "\n").encode())
            session.end()
        elif not cat:
            session.end()
        return session

    def _exec(self, exec_id: str) -> dict[str, Any]:
        if exec_id not in self.execs:
            raise NotFound(f"No such exec instance: {exec_id}")
        return self.execs[exec_id]

    async def exec_resize(self, exec_id: str, height: int, width: int) -> None:
        self._exec(exec_id)

    async def exec_inspect(self, exec_id: str) -> ExecInspect:
        doc = {k: v for k, v in self._exec(exec_id).items() if not k.startswith("_")}
        return msgspec.convert(doc, ExecInspect)


def _label_match(labels: dict[str, str], spec: str) -> bool:
    key, eq, value = spec.partition("=")
    return key in labels and (not eq or labels[key] == value)
