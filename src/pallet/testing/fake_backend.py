"""An in-memory :class:`~pallet.server.backend.Backend` for route and client tests.

Containers are records with a tiny "process" model: on start, ``Cmd`` ``["echo", ...]``
prints its arguments and exits 0, ``["cat"]`` echoes stdin to stdout until stdin
closes, ``["false"]`` exits 1, anything else runs until stopped or killed. Output goes
to the logs and to every attach session. Tests can also script output with
:meth:`FakeBackend.emit` and :meth:`FakeBackend.exit`.
"""

from __future__ import annotations

import asyncio
import builtins
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pallet.api.models import CreateRequest, ExecConfig
from pallet.errors import Conflict, InvalidArgument, NotFound, NotModified
from pallet.server.backend import AttachSession, Filters, LogOptions, PathStat, Wire
from pallet.system.ids import new_id

_END = (-1, b"")


class FakeSession:
    """An attach/exec session: output from a queue; stdin echoed when ``echo``."""

    def __init__(self, tty: bool, echo: bool = False, ends_with_stdin: bool = False,
                 on_stdin_closed: Callable[[], None] | None = None) -> None:
        self.tty = tty
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


class FakeBackend:
    """Implements every Backend protocol in memory."""

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

    # -- containers ----------------------------------------------------------------------
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

    def _summary(self, c: FakeContainer) -> Wire:
        return {
            "Id": c.id, "Names": ["/" + c.name], "Image": c.config.Image, "ImageID": "",
            "Command": " ".join(c.config.Cmd or []), "Created": int(c.created),
            "State": c.status, "Status": c.status, "Ports": [],
            "Labels": c.config.Labels or {}, "Mounts": [], "HostConfig": {"NetworkMode": ""},
        }

    async def list(self, all: bool, limit: int, size: bool, filters: Filters
                   ) -> builtins.list[Wire]:
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

    async def inspect(self, ref: str, size: bool = False) -> Wire:
        c = self.get(ref)
        return {
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
        }

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

    async def wait(self, ref: str, condition: str) -> Wire:
        c = self.get(ref)
        if condition == "removed":
            await c.removed.wait()
        elif condition == "next-exit" or c.status in ("running", "paused", "created"):
            if condition == "next-exit":
                c.exited.clear()
            await c.exited.wait()
        return {"StatusCode": c.exit_code, "Error": None}

    async def top(self, ref: str, ps_args: str) -> Wire:
        c = self.get(ref)
        if c.status != "running":
            raise Conflict(f"Container {c.id} is not running")
        return {"Titles": ["PID", "CMD"], "Processes": [["1", " ".join(c.config.Cmd or [])]]}

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
            yield _tar_of(st.name, data)

        return st, gen()

    async def archive_put(self, ref: str, path: str, body: AsyncIterator[bytes],
                          no_overwrite_dir_non_dir: bool) -> None:
        c = self.get(ref)
        data = b"".join([chunk async for chunk in body])
        c.files[path.rstrip("/") + "/.uploaded.tar"] = data

    async def prune(self, filters: Filters) -> Wire:
        gone = [c.id for c in self.containers.values() if c.status in ("exited", "created")]
        for cid in gone:
            del self.containers[cid]
        return {"ContainersDeleted": gone, "SpaceReclaimed": 0}

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
        session = FakeSession(bool(ex["ProcessConfig"]["tty"]), echo=cat, ends_with_stdin=cat)
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

    async def exec_inspect(self, exec_id: str) -> Wire:
        return {k: v for k, v in self._exec(exec_id).items() if not k.startswith("_")}

    # -- images --------------------------------------------------------------------------
    async def images_list(self, all: bool, filters: Filters, digests: bool) -> builtins.list[Wire]:
        seen: dict[str, Wire] = {}
        for image in self.images.values():
            seen.setdefault(image["Id"], image)
        return list(seen.values())

    async def image_inspect(self, ref: str) -> Wire:
        image = self._image(ref)
        return {**image, "Created": "2024-01-01T00:00:00Z", "Config": {"Cmd": ["sh"]},
                "Os": "linux", "Architecture": "amd64"}

    async def image_history(self, ref: str) -> builtins.list[Wire]:
        image = self._image(ref)
        return [{"Id": image["Id"], "Created": 0, "CreatedBy": "fake", "Tags": image["RepoTags"],
                 "Size": image["Size"], "Comment": ""}]

    async def image_tag(self, ref: str, repo: str, tag: str) -> None:
        image = self._image(ref)
        new = f"{repo}:{tag or 'latest'}"
        self.images[new] = {**image, "RepoTags": [*image["RepoTags"], new]}

    async def image_remove(self, ref: str, force: bool, noprune: bool) -> builtins.list[Wire]:
        image = self._image(ref)
        tags = [k for k, v in self.images.items() if v["Id"] == image["Id"]]
        for k in tags:
            del self.images[k]
        return [*({"Untagged": t} for t in tags), {"Deleted": image["Id"]}]

    async def images_prune(self, filters: Filters) -> Wire:
        return {"ImagesDeleted": [], "SpaceReclaimed": 0}

    async def image_save(self, refs: builtins.list[str]) -> AsyncIterator[bytes]:
        for ref in refs:
            self._image(ref)
        yield _tar_of("manifest.json", b"[]")

    async def image_load(self, archive: Path, quiet: bool) -> builtins.list[str]:
        data = archive.read_bytes()
        if len(data) < 512:
            raise InvalidArgument("unexpected EOF")
        self.loaded.append(archive)
        self.add_image("loaded:latest")
        return ["Loaded image: loaded:latest"]

    async def image_import(self, archive: Path, repo: str, tag: str, changes: builtins.list[str],
                           message: str) -> str:
        image = self.add_image(f"{repo}:{tag or 'latest'}" if repo else "<none>:<none>")
        return str(image["Id"])

    async def image_pull(self, image: str, tag: str, auth: str) -> AsyncIterator[Wire]:
        if image not in self.pullable:
            raise NotFound(f"pull access denied for {image}, repository does not exist")

        async def gen() -> AsyncIterator[Wire]:
            ref = f"{image}:{tag or 'latest'}"
            yield {"status": f"Pulling from {image}", "id": tag or "latest"}
            yield {"status": "Digest: sha256:" + "0" * 64}
            self.add_image(ref)
            yield {"status": f"Status: Downloaded newer image for {ref}"}

        return gen()

    def spool_dir(self) -> Path:
        return self._spool

    # -- system --------------------------------------------------------------------------
    async def version(self) -> Wire:
        return {"Platform": {"Name": "pallet"}, "Version": "0.1.0", "ApiVersion": "1.44",
                "MinAPIVersion": "1.24", "Os": "linux", "Arch": "amd64",
                "KernelVersion": "6.1", "GitCommit": "fake", "GoVersion": "n/a",
                "Components": [{"Name": "Engine", "Version": "0.1.0",
                                "Details": {"ApiVersion": "1.44", "MinAPIVersion": "1.24"}}]}

    async def info(self) -> Wire:
        running = sum(c.status == "running" for c in self.containers.values())
        return {"ID": "fake", "Containers": len(self.containers), "ContainersRunning": running,
                "Images": len(self.images), "Driver": "overlay", "OperatingSystem": "fake",
                "OSType": "linux", "Name": "fake"}

    async def events(self, since: float | None, until: float | None, filters: Filters
                     ) -> AsyncIterator[Wire]:
        sent = 0
        while True:
            while sent < len(self.event_log):
                ev = self.event_log[sent]
                sent += 1
                if since is not None and ev["time"] < int(since):
                    continue
                if until is not None and ev["time"] > until:
                    return
                if "type" in filters and ev["Type"] not in filters["type"]:
                    continue
                yield ev
            if until is not None and time.time() >= until:
                return
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=0.2)
            except TimeoutError:
                pass

    async def df(self) -> Wire:
        return {"LayersSize": 0, "Images": list(self.images.values()),
                "Containers": [self._summary(c) for c in self.containers.values()],
                "Volumes": [], "BuildCache": []}


def _label_match(labels: dict[str, str], spec: str) -> bool:
    key, eq, value = spec.partition("=")
    return key in labels and (not eq or labels[key] == value)


def _tar_of(name: str, data: bytes) -> bytes:
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
