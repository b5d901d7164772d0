"""Plugin work deferred past the runtime's create (plugins.StartContext.defer), over fakes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from pallet.api.models import CreateRequest
from pallet.engine.containers import ContainerService
from pallet.engine.events import EventBus
from pallet.engine.plugins import Plugin, StartContext
from pallet.engine.records import Container, ContainerStore
from pallet.engine.specbuild import HostDefaults
from pallet.errors import CommandFailed, PalletError
from pallet.system.db import Database
from pallet.testing.engine_fakes import (
    FakeImage,
    FakeImages,
    FakeRootfs,
    FakeRuntime,
    container_service,
)

BUSYBOX = FakeImage("sha256:" + "b" * 64, {"config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]}},
                    ["busybox:latest"])


class RecordingRuntime(FakeRuntime):
    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log
        self.resolv_inode = 0

    async def create(self, cid: str, bundle: Path, **kw: Any) -> int:
        self.log.append("create")
        self.resolv_inode = (bundle / "resolv.conf").stat().st_ino  # what gets bind-mounted
        await asyncio.sleep(0)
        return await super().create(cid, bundle, **kw)

    async def start(self, cid: str) -> None:
        self.log.append("start")
        await super().start(cid)

    async def delete(self, cid: str, force: bool = False) -> None:
        self.log.append("delete")
        await super().delete(cid, force)


class SlowNetwork(Plugin):
    """Defers work that finishes after the create and changes the DNS server."""

    name = "slow"

    def __init__(self, log: list[str], fail: bool = False) -> None:
        self.log = log
        self.fail = fail

    async def prepare(self, c: Container, ctx: StartContext) -> None:
        ctx.dns = ["10.0.0.53"]  # the prediction
        ctx.defer(self._finish(ctx))

    async def _finish(self, ctx: StartContext) -> None:
        await asyncio.sleep(0.05)
        self.log.append("deferred done")
        if self.fail:
            raise CommandFailed(["netavark", "setup"], 1, "no bridge for you")
        ctx.dns = ["10.0.0.1"]  # what it really got

    async def released(self, c: Container) -> None:
        self.log.append("released")


def _service(tmp: Path, log: list[str], plugin: Plugin) -> tuple[ContainerService, FakeRuntime]:
    rt = RecordingRuntime(log)
    svc = container_service(ContainerStore(Database(tmp / "db")), FakeImages(BUSYBOX),
                           FakeRootfs(), rt, EventBus(), tmp / "containers", HostDefaults(),
                           plugins=[plugin])
    return svc, rt


def test_deferred_work_overlaps_create_and_the_etc_files_follow_it(tmp_path: Path) -> None:
    log: list[str] = []

    async def main() -> None:
        svc, rt = _service(tmp_path, log, SlowNetwork(log))
        cid, _ = await svc.create(None, CreateRequest(Image="busybox", Cmd=["true"]))
        resolv = svc.bundle(cid) / "resolv.conf"
        await svc.start(cid)
        assert log == ["create", "deferred done", "start"]
        # rewritten in place: the inode the runtime bind-mounted at create time
        assert resolv.read_text() == "nameserver 10.0.0.1\n"
        assert isinstance(rt, RecordingRuntime) and resolv.stat().st_ino == rt.resolv_inode
        assert rt.states[cid].status == "running"

    asyncio.run(main())


def test_failed_deferred_work_fails_the_start_and_undoes_the_create(tmp_path: Path) -> None:
    log: list[str] = []

    async def main() -> None:
        svc, rt = _service(tmp_path, log, SlowNetwork(log, fail=True))
        cid, _ = await svc.create(None, CreateRequest(Image="busybox", Cmd=["true"]))
        with pytest.raises(PalletError, match="no bridge for you"):
            await svc.start(cid)
        assert log == ["create", "deferred done", "delete", "released"]
        assert cid not in rt.states
        c = svc.resolve(cid)
        assert not c.running and "no bridge for you" in c.error

    asyncio.run(main())


def test_a_failed_create_waits_for_deferred_work_before_releasing(tmp_path: Path) -> None:
    log: list[str] = []

    async def main() -> None:
        svc, rt = _service(tmp_path, log, SlowNetwork(log))
        rt.fail_create["nosuch"] = "exec: nosuch: no such file"
        cid, _ = await svc.create(None, CreateRequest(Image="busybox", Cmd=["nosuch"]))
        with pytest.raises(PalletError):
            await svc.start(cid)
        # the plugin's undo never races its own deferred setup
        assert log == ["create", "deferred done", "released"]

    asyncio.run(main())
