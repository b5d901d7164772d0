"""The engine's container lifecycle over fakes: no root, no runtime."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pallet.api.models import CreateRequest, HostConfig
from pallet.engine.events import EventBus
from pallet.engine.records import ContainerStore
from pallet.engine.specbuild import HostDefaults
from pallet.errors import Conflict, InvalidArgument, NotFound, NotModified
from pallet.system.db import Database
from pallet.testing.engine_fakes import (
    FakeImage,
    FakeImages,
    FakeRootfs,
    FakeRuntime,
    FakeState,
    container_service,
    env_test,
)

BUSYBOX = FakeImage("sha256:" + "b" * 64, {"config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]}},
                    ["busybox:latest"])


class Env:
    def __init__(self, tmp: Path) -> None:
        self.runtime = FakeRuntime()
        self.events = EventBus()
        self.svc = container_service(
            ContainerStore(Database(tmp / "db")), FakeImages(BUSYBOX), FakeRootfs(),
            self.runtime, self.events, tmp / "containers", HostDefaults())
        self._task = asyncio.get_running_loop().create_task(self._exits())

    def close(self) -> None:
        self._task.cancel()

    async def _exits(self) -> None:
        while True:
            cid = await self.runtime.exits.get()
            await self.svc.on_exit(cid)

    async def run(self, *cmd: str, **host: object) -> str:
        cid, _ = await self.svc.create(None, CreateRequest(Image="busybox", Cmd=list(cmd),
                                                           HostConfig=HostConfig(**host)))  # type: ignore[arg-type]
        await self.svc.start(cid)
        return cid


run = env_test(Env)


@run
async def test_exit_code_is_recorded_and_waiters_released(e: Env) -> None:
    cid = await e.run("sh", "-c", "exit 3")
    waiter = asyncio.ensure_future(e.svc.wait(cid, "next-exit"))
    await asyncio.sleep(0)
    e.runtime.finish(cid, 3)
    assert (await waiter).StatusCode == 3
    c = e.svc.resolve(cid)
    assert c.status.value == "exited" and c.exit_code == 3


@run
async def test_stop_sends_term_then_kill_after_timeout(e: Env) -> None:
    polite = await e.run("sleep", "100")
    await e.svc.stop(polite, 1, None)
    assert e.svc.resolve(polite).exit_code == 143
    stubborn = await e.run("sleep", "100")
    e.runtime.ignore_term.add(stubborn)
    await e.svc.stop(stubborn, 0, None)
    assert e.svc.resolve(stubborn).exit_code == 137


@run
async def test_start_of_running_is_not_modified_and_stop_of_stopped_too(e: Env) -> None:
    cid = await e.run("sleep", "1")
    with pytest.raises(NotModified):
        await e.svc.start(cid)
    await e.svc.stop(cid, 1, None)
    with pytest.raises(NotModified):
        await e.svc.stop(cid, 1, None)


@run
async def test_remove_running_needs_force(e: Env) -> None:
    cid = await e.run("sleep", "1")
    with pytest.raises(Conflict, match="stop the container before removing"):
        await e.svc.remove(cid, force=False)
    await e.svc.remove(cid, force=True)
    with pytest.raises(NotFound):
        e.svc.resolve(cid)
    # Docker's events for rm -f of a running container: kill, die, destroy
    events = [ev for ev in e.events._history if cid == ev.Actor.ID]
    assert [ev.Action for ev in events] == ["create", "start", "kill", "die", "destroy"]
    assert (events[2].Actor.Attributes or {})["signal"] == "9"
    assert (events[3].Actor.Attributes or {})["exitCode"] == "137"


@run
async def test_auto_remove_releases_removed_waiter_with_exit_code(e: Env) -> None:
    cid = await e.run("true", AutoRemove=True)
    waiter = asyncio.ensure_future(e.svc.wait(cid, "removed"))
    await asyncio.sleep(0)
    e.runtime.finish(cid, 0)
    assert (await waiter).StatusCode == 0
    with pytest.raises(NotFound):
        e.svc.resolve(cid)


@run
async def test_missing_executable_gives_127_and_docker_words(e: Env) -> None:
    e.runtime.fail_create["nosuchcmd"] = (
        "executable file `nosuchcmd` not found in $PATH: No such file or directory")
    cid, _ = await e.svc.create(None, CreateRequest(Image="busybox", Cmd=["nosuchcmd"]))
    with pytest.raises(Exception, match="executable file"):
        await e.svc.start(cid)
    c = e.svc.resolve(cid)
    assert c.exit_code == 127 and c.status.value == "created"


@run
async def test_names_are_unique_and_validated(e: Env) -> None:
    await e.svc.create("web", CreateRequest(Image="busybox"))
    with pytest.raises(Conflict, match='"/web" is already in use'):
        await e.svc.create("web", CreateRequest(Image="busybox"))
    with pytest.raises(InvalidArgument):
        await e.svc.create("bad name!", CreateRequest(Image="busybox"))
    with pytest.raises(NotFound, match="No such image"):
        await e.svc.create(None, CreateRequest(Image="nosuch"))


@run
async def test_pause_unpause_and_kill(e: Env) -> None:
    cid = await e.run("sleep", "1")
    await e.svc.pause(cid)
    assert e.svc.resolve(cid).status.value == "paused"
    with pytest.raises(Conflict):
        await e.svc.pause(cid)
    await e.svc.unpause(cid)
    await e.svc.kill(cid, "KILL")
    assert e.svc.resolve(cid).exit_code == 137
    with pytest.raises(Conflict, match="not running"):
        await e.svc.kill(cid, "KILL")


@run
async def test_reconcile_marks_containers_that_exited_while_away(e: Env) -> None:
    alive = await e.run("sleep", "100")
    gone = await e.run("sh", "-c", "exit 7")
    e.runtime.codes[gone] = 7
    e.runtime.states[gone].status = "stopped"
    await e.svc.reconcile()
    assert e.svc.resolve(alive).status.value == "running"
    assert e.svc.resolve(gone).exit_code == 7
    assert e.svc.resolve(gone).status.value == "exited"


@run
async def test_events_for_a_run(e: Env) -> None:
    cid = await e.run("true")
    e.runtime.finish(cid, 0)
    await asyncio.sleep(0.01)
    actions = [ev.Action for ev in e.events._history if cid == ev.Actor.ID]
    assert actions == ["create", "start", "die"]


@run
async def test_reconcile_ends_starts_cut_short_so_start_really_starts(e: Env) -> None:
    """palletd killed between the runtime's create and start: the record said running
    (or created), the runtime holds a process that never ran; both are cleaned up."""
    said_running = await e.run("sleep", "100")
    e.runtime.states[said_running].status = "created"
    never = (await e.svc.create(None, CreateRequest(Image="busybox", Cmd=["true"])))[0]
    e.runtime.states[never] = FakeState("created", 4242, never)
    await e.svc.reconcile()
    c = e.svc.resolve(said_running)
    assert (c.status.value, c.exit_code) == ("exited", 137)
    assert e.svc.resolve(never).status.value == "created"
    assert e.runtime.states == {}
    await e.svc.start(said_running)
    assert e.runtime.states[said_running].status == "running"


@run
async def test_reconcile_unpauses_what_a_dead_commit_paused(e: Env) -> None:
    from pallet.engine.reconcile import PAUSED_BY_COMMIT

    by_commit = await e.run("sleep", "100")
    by_user = await e.run("sleep", "100")
    for cid in (by_commit, by_user):
        await e.svc.pause(cid)
    (e.svc.bundle(by_commit) / PAUSED_BY_COMMIT).touch()
    await e.svc.reconcile()
    assert e.svc.resolve(by_commit).status.value == "running"
    assert e.runtime.states[by_commit].status == "running"
    assert not (e.svc.bundle(by_commit) / PAUSED_BY_COMMIT).exists()
    assert e.svc.resolve(by_user).status.value == "paused"


@run
async def test_reconcile_removes_build_steps_and_what_has_no_record(e: Env) -> None:
    step, _ = await e.svc.create(None, CreateRequest(Image="busybox", Cmd=["make"]),
                                 build_step=True)
    e.runtime.states[step] = FakeState("created", 4244, step)  # its start was cut short
    kept = await e.run("sleep", "100")
    e.runtime.states["f" * 64] = FakeState("running", 4243, "f" * 64)
    e.runtime.leftovers.update({"e" * 64, kept})
    (e.svc.core.dir / ("d" * 64) / "rootfs").mkdir(parents=True)
    assert [c.id for c in e.svc.store.listed()] == [kept]  # a build step is not listed
    await e.svc.reconcile()
    assert [c.id for c in e.svc.store.all()] == [kept]
    assert set(e.runtime.states) == {kept}
    assert e.runtime.leftovers == {kept}
    assert sorted(p.name for p in e.svc.core.dir.iterdir()) == [kept]
