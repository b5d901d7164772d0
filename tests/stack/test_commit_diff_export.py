"""commit, diff and export through the stack: the pallet CLI -> client -> the real routes
(on a unix socket) -> a fake backend; and CommitService over the engine fakes (pause and
unpause around a commit, also when it fails). No root, no runtime."""

from __future__ import annotations

import asyncio
import io
import os
import sys
import tarfile
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from pallet.api.models import CreateRequest
from pallet.cli import terminal
from pallet.cli.app import main
from pallet.engine.commit import CommitService
from pallet.engine.commitconfig import CommitRequest
from pallet.engine.containers import ContainerService
from pallet.engine.events import EventBus
from pallet.engine.records import ContainerStore
from pallet.engine.specbuild import HostDefaults
from pallet.errors import Conflict, InvalidArgument, NotFound, Unsupported
from pallet.images.service import ImageService
from pallet.server.app import core_routers, make_app
from pallet.server.routes_commit import make_routes
from pallet.snapshots.naive import NaiveSnapshotter
from pallet.system.db import Database
from pallet.system.paths import Paths
from pallet.testing.engine_fakes import (
    FakeImage,
    FakeImages,
    FakeRootfs,
    FakeRuntime,
    container_service,
)
from pallet.testing.fake_backend import FakeBackend


def _tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("newfile")
        info.size = 3
        tf.addfile(info, io.BytesIO(b"hi\n"))
    return buf.getvalue()


class Commits:
    def __init__(self) -> None:
        self.requests: list[tuple[str, CommitRequest]] = []

    async def commit(self, ref: str, req: CommitRequest) -> str:
        if ref != "web":
            raise NotFound(f"No such container: {ref}")
        self.requests.append((ref, req))
        return "sha256:" + "c" * 64

    async def changes(self, ref: str) -> list[dict[str, Any]]:
        return [{"Path": "/bin", "Kind": 0}, {"Path": "/bin/zcat", "Kind": 2},
                {"Path": "/newfile", "Kind": 1}]

    async def export(self, ref: str) -> AsyncIterator[bytes]:
        yield _tar()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Commits]]:
    """The app on a unix socket, served from a thread; yields (PALLET_HOST, fake)."""
    fake = Commits()
    sock = f"/tmp/pallet-cde-{os.getpid()}-{threading.get_ident()}.sock"
    loop = asyncio.new_event_loop()
    app = make_app([*core_routers(FakeBackend(spool=tmp_path / "spool")), make_routes(fake)])
    runner = web.AppRunner(app)

    async def start() -> None:
        await runner.setup()
        await web.UnixSite(runner, sock).start()

    loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"unix://{sock}", fake
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        if os.path.exists(sock):
            os.unlink(sock)


def pallet(host: str, *args: str) -> tuple[int, bytes, str]:
    """Run ``pallet ARGS`` in-process: (exit code, stdout bytes, stderr text)."""
    out, err = io.BytesIO(), io.BytesIO()
    saved = sys.stdout, sys.stderr, os.environ.get("PALLET_HOST")
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    sys.stderr = io.TextIOWrapper(err, encoding="utf-8", write_through=True)
    os.environ["PALLET_HOST"] = host
    try:
        code = main(list(args))
        sys.stdout.flush()
        sys.stderr.flush()
        return code, out.getvalue(), err.getvalue().decode()
    finally:
        sys.stdout.detach()
        sys.stderr.detach()
        sys.stdout, sys.stderr = saved[0], saved[1]
        if saved[2] is None:
            os.environ.pop("PALLET_HOST", None)
        else:
            os.environ["PALLET_HOST"] = saved[2]


def test_commit_flags_reach_the_daemon(served: tuple[str, Commits]) -> None:
    host, fake = served
    code, out, err = pallet(host, "commit", "-a", "me", "-m", "msg", "-c", "ENV A=1",
                            "--change", 'CMD ["sh"]', "web", "snap:v1")
    assert code == 0, err
    assert out.decode() == "sha256:" + "c" * 64 + "\n"
    ref, req = fake.requests[-1]
    assert ref == "web" and req.repo == "snap:v1" and req.tag == ""
    assert (req.author, req.comment, req.pause) == ("me", "msg", True)
    assert req.changes == ("ENV A=1", 'CMD ["sh"]') and req.config is None
    code, _, err = pallet(host, "container", "commit", "--pause=false", "web")
    assert code == 0, err
    assert fake.requests[-1][1].pause is False and fake.requests[-1][1].repo == ""
    code, _, err = pallet(host, "commit", "nope")
    assert code == 1 and "Error response from daemon: No such container: nope" in err


def test_diff_prints_docker_lines(served: tuple[str, Commits]) -> None:
    host, _ = served
    for argv in (("diff", "web"), ("container", "diff", "web")):
        code, out, err = pallet(host, *argv)
        assert code == 0, err
        assert out.decode() == "C /bin\nD /bin/zcat\nA /newfile\n"


def test_export_to_stdout_to_a_file_and_never_to_a_terminal(
        served: tuple[str, Commits], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    host, _ = served
    code, out, err = pallet(host, "export", "web")
    assert code == 0, err
    with tarfile.open(fileobj=io.BytesIO(out)) as tf:
        assert tf.getnames() == ["newfile"]
    target = tmp_path / "fs.tar"
    code, out, err = pallet(host, "container", "export", "-o", str(target), "web")
    assert code == 0 and out == b"", err
    with tarfile.open(target) as tf:
        assert tf.getnames() == ["newfile"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".pallet-export")] == []
    monkeypatch.setattr(terminal, "is_tty", lambda stream: True)
    code, out, err = pallet(host, "export", "web")
    assert code == 1 and out == b"" and "cowardly refusing to save to a terminal" in err


# -- CommitService over the engine fakes ------------------------------------------------
BUSYBOX = FakeImage("sha256:" + "b" * 64, {"config": {"Cmd": ["sh"]}}, ["busybox:latest"])


class Events(EventBus):
    def __init__(self) -> None:
        super().__init__()
        self.actions: list[str] = []

    def publish(self, type_: str, action: str, actor_id: str,
                attributes: dict[str, str] | None = None) -> Any:
        if type_ == "container":
            self.actions.append(action)
        return super().publish(type_, action, actor_id, attributes)


def _service(tmp: Path) -> tuple[ContainerService, CommitService, Events]:
    events = Events()
    db = Database(tmp / "db")
    svc = container_service(ContainerStore(db), FakeImages(BUSYBOX), FakeRootfs(), FakeRuntime(),
                           events, tmp / "containers", HostDefaults())
    images = ImageService(db, Paths(root=tmp / "root", run=tmp / "run"),
                          snapshotter=NaiveSnapshotter(tmp / "snapshots"))
    svc.rootfs.prepare = lambda cid, image_id: images.snapshotter.prepare(  # type: ignore[method-assign]
        cid, None)
    return svc, CommitService(svc, images), events


def test_commit_pauses_and_unpauses_even_when_it_fails(tmp_path: Path) -> None:
    async def t() -> None:
        svc, commits, events = _service(tmp_path)
        cid, _ = await svc.create("web", CreateRequest(Image="busybox", Cmd=["sleep", "9"]))
        await svc.start(cid)
        # the plain-copy snapshotter keeps no upper dir: the commit fails after the pause
        with pytest.raises(Unsupported):
            await commits.commit("web", CommitRequest(repo="snap"))
        assert svc.resolve(cid).status.value == "running"
        assert events.actions[-2:] == ["pause", "unpause"]
        # a bad change or name is refused before the container is touched
        with pytest.raises(InvalidArgument):
            await commits.commit("web", CommitRequest(changes=("RUN true",)))
        with pytest.raises(InvalidArgument):
            await commits.commit("web", CommitRequest(repo="Bad Name"))
        assert events.actions[-2:] == ["pause", "unpause"]
        # pause=false leaves it alone; a paused container stays paused
        with pytest.raises(Unsupported):
            await commits.commit("web", CommitRequest(pause=False))
        assert events.actions[-2:] == ["pause", "unpause"]
        await svc.pause(cid)
        with pytest.raises(Unsupported):
            await commits.commit("web", CommitRequest())
        assert svc.resolve(cid).status.value == "paused"
        assert events.actions[-1] == "pause"
        await svc.unpause(cid)
        c = svc.resolve(cid)
        c.status = type(c.status)("dead")
        svc.store.save(c)
        with pytest.raises(Conflict):
            await commits.changes("web")

    asyncio.run(t())
