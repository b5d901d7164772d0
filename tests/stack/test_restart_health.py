"""Restart policies and health checks over the engine fakes (no root, no runtime)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

from pallet.api.models import CreateRequest, HealthConfig, HostConfig, RestartPolicy
from pallet.api.view_containers import ContainerInspect, ContainerSummary
from pallet.engine.containers import ContainerService
from pallet.engine.events import EventBus
from pallet.engine.healthmon import HealthPlugin
from pallet.engine.pluginstate import RestartState
from pallet.engine.records import ContainerStore
from pallet.engine.restarter import RestartPlugin
from pallet.engine.specbuild import HostDefaults
from pallet.errors import NotFound
from pallet.system.db import Database
from pallet.testing.engine_fakes import (
    FakeImage,
    FakeImages,
    FakeRootfs,
    FakeRuntime,
    container_service,
    env_test,
)

BUSYBOX = FakeImage("sha256:" + "b" * 64, {"config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]}},
                    ["busybox:latest"])
MS = 1_000_000


class Runtime(FakeRuntime):
    """The fake, with the real runtime's answer for a container it no longer has."""

    async def kill(self, cid: str, signal: int) -> None:
        if cid not in self.states:
            raise NotFound(f"container {cid} not found in crun")
        await super().kill(cid, signal)


class Env:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.runtime = Runtime()
        self.events = EventBus()
        self.store = ContainerStore(Database(tmp / "db"))
        self.probe_codes: dict[str, list[int]] = {}
        self.svc = self._service()
        self._task = asyncio.get_running_loop().create_task(self._exits())

    def _service(self) -> ContainerService:
        svc = container_service(self.store, FakeImages(BUSYBOX), FakeRootfs(), self.runtime,
                               self.events, self.tmp / "containers", HostDefaults())
        self.health = HealthPlugin(svc, self._probe)
        self.restart = RestartPlugin(svc, self.health.status_of)
        svc.plugins.extend([self.restart, self.health])
        return svc

    def close(self) -> None:
        self._task.cancel()
        self.restart.close()
        self.health.close()

    async def _probe(self, cid: str, argv: tuple[str, ...], timeout: float
                     ) -> tuple[int, bytes]:
        codes = self.probe_codes.get(cid) or [0]
        code = codes.pop(0) if len(codes) > 1 else codes[0]
        if code == -99:
            await asyncio.sleep(timeout + 1)
        return code, f"probe said {code}\n".encode()

    async def _exits(self) -> None:
        while True:
            cid = await self.runtime.exits.get()
            await self.svc.on_exit(cid)

    async def run(self, *cmd: str, policy: str = "no", retries: int = 0,
                  health: HealthConfig | None = None, labels: dict[str, str] | None = None
                  ) -> str:
        host = HostConfig(RestartPolicy=RestartPolicy(Name=policy, MaximumRetryCount=retries))
        cid, _ = await self.svc.create(None, CreateRequest(
            Image="busybox", Cmd=list(cmd), HostConfig=host, Healthcheck=health,
            Labels=labels))
        await self.svc.start(cid)
        return cid

    def actions(self, cid: str) -> list[str]:
        return [e.Action for e in self.events._history if cid == e.Actor.ID]


async def until(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


run = env_test(Env)


def status(e: Env, cid: str) -> str:
    return e.svc.resolve(cid).status.value


@run
async def test_on_failure_restarts_n_times_then_stays_exited(e: Env) -> None:
    cid = await e.run("false", policy="on-failure", retries=2)
    for _ in range(3):
        await until(lambda: e.runtime.states.get(cid) is not None
                    and e.runtime.states[cid].status == "running")
        e.runtime.finish(cid, 1)
        await until(lambda: status(e, cid) in ("running", "exited"))
    await asyncio.sleep(0.5)
    c = e.svc.resolve(cid)
    assert (c.status.value, c.restart_count, c.exit_code) == ("exited", 2, 1)
    assert e.actions(cid).count("start") == 3 and e.actions(cid).count("die") == 3


@run
async def test_on_failure_does_not_restart_success(e: Env) -> None:
    cid = await e.run("true", policy="on-failure")
    e.runtime.finish(cid, 0)
    await until(lambda: status(e, cid) == "exited")
    await asyncio.sleep(0.3)
    assert status(e, cid) == "exited" and e.svc.resolve(cid).restart_count == 0


@run
async def test_always_restarts_with_growing_delay(e: Env) -> None:
    cid = await e.run("true", policy="always")
    seen = []
    for _ in range(3):
        t0 = time.monotonic()
        e.runtime.finish(cid, 0)
        await until(lambda: status(e, cid) == "restarting")
        await until(lambda: status(e, cid) == "running")
        seen.append(time.monotonic() - t0)
    assert e.svc.resolve(cid).restart_count == 3
    assert seen[0] < seen[2] and seen[2] >= 0.35  # 0.1, 0.2, 0.4 s


@run
async def test_stop_by_hand_is_not_restarted_and_user_start_resets_count(e: Env) -> None:
    cid = await e.run("sleep", "1", policy="always")
    e.runtime.finish(cid, 0)
    await until(lambda: e.svc.resolve(cid).restart_count == 1 and status(e, cid) == "running")
    await e.svc.stop(cid, 1, None)
    await asyncio.sleep(0.3)
    assert status(e, cid) == "exited"
    await e.svc.start(cid)
    assert e.svc.resolve(cid).restart_count == 0


@run
async def test_stop_during_the_restart_delay_ends_the_wait(e: Env) -> None:
    cid = await e.run("sleep", "1", policy="always")
    c = e.svc.resolve(cid)
    c.extras.restart = RestartState(delay=30.0)  # the next delay will be 60 s
    e.svc.store.save(c)
    e.runtime.finish(cid, 0)
    await until(lambda: status(e, cid) == "restarting")
    t0 = time.monotonic()
    await asyncio.wait_for(e.svc.stop(cid, 10, None), 5)
    assert time.monotonic() - t0 < 1.0
    assert status(e, cid) == "exited"


@run
async def test_daemon_start_brings_back_always_and_unless_stopped(e: Env) -> None:
    always = await e.run("sleep", "1", policy="always")
    unless = await e.run("sleep", "1", policy="unless-stopped")
    unless_stopped = await e.run("sleep", "1", policy="unless-stopped")
    plain = await e.run("sleep", "1")
    for cid in (always, unless_stopped, plain):
        await e.svc.stop(cid, 1, None)
    # the daemon dies; the host reboots: unless-stopped was running, now gone
    c = e.svc.resolve(unless)
    c.status, c.pid = c.status.__class__("exited"), 0
    e.svc.store.save(c)
    e.restart.close()
    e.svc = e._service()  # a new daemon over the same store
    wanted = e.restart.settle()
    assert set(wanted) == {always, unless}
    await e.restart.boot(wanted)
    assert [status(e, x) for x in (always, unless, unless_stopped, plain)] == [
        "running", "running", "exited", "exited"]


def _service(name: str, depends: str = "") -> dict[str, str]:
    return {"com.docker.compose.project": "p", "com.docker.compose.service": name,
            "com.docker.compose.depends_on": depends}


async def _reboot_and_boot(e: Env, *cids: str) -> list[tuple[str, str]]:
    """Stop ``cids`` as a host reboot would, start a new daemon over the same store and run
    its boot; returns the (container, action) events of the boot, in order."""
    e.restart.close()
    e.health.close()
    for cid in cids:
        c = e.svc.resolve(cid)
        c.status, c.pid = c.status.__class__("exited"), 0
        e.svc.store.save(c)
        e.runtime.states.pop(cid, None)
    e.svc = e._service()
    mark = len(e.events._history)
    await asyncio.wait_for(e.restart.boot(e.restart.settle()), 10)
    return [(ev.Actor.ID, ev.Action) for ev in list(e.events._history)[mark:]]


@run
async def test_boot_starts_a_compose_service_once_its_dependency_is_healthy(e: Env) -> None:
    hc = HealthConfig(Test=["CMD", "check"], Interval=50 * MS, Retries=5)
    web = await e.run("sleep", "1", policy="always",
                      labels=_service("web", "db:service_healthy:false"))
    db = await e.run("sleep", "1", policy="always", health=hc, labels=_service("db"))
    e.probe_codes[db] = [1, 1, 0]  # healthy at the third probe after the boot
    got = await _reboot_and_boot(e, web, db)
    assert got.index((db, "start")) < got.index((db, "health_status: healthy")) < got.index(
        (web, "start"))
    assert status(e, web) == status(e, db) == "running"


@run
async def test_boot_does_not_wait_forever_for_a_dependency_that_turns_unhealthy(
        e: Env) -> None:
    hc = HealthConfig(Test=["CMD", "check"], Interval=50 * MS, Retries=2)
    web = await e.run("sleep", "1", policy="always",
                      labels=_service("web", "db:service_healthy:false"))
    db = await e.run("sleep", "1", policy="always", health=hc, labels=_service("db"))
    e.probe_codes[db] = [1]
    got = await _reboot_and_boot(e, web, db)
    assert got.index((db, "health_status: unhealthy")) < got.index((web, "start"))


@run
async def test_health_starting_healthy_unhealthy_with_events(e: Env) -> None:
    hc = HealthConfig(Test=["CMD", "check"], Interval=50 * MS, Retries=2)
    cid = await e.run("sleep", "1", health=hc)
    e.probe_codes[cid] = [0, 1, 1, 1]
    view = ContainerSummary(Status="Up 1 second")
    e.health.decorate(e.svc.resolve(cid), view)
    assert view.Status == "Up 1 second (health: starting)"
    await until(lambda: e.health.states[cid].status == "unhealthy")
    actions = e.actions(cid)
    assert actions.index("health_status: healthy") < actions.index("health_status: unhealthy")
    inspect = ContainerInspect()
    c = e.svc.resolve(cid)
    e.health.decorate(c, inspect)
    health = msgspec.to_builtins(inspect.State.Health)
    assert health["Status"] == "unhealthy" and health["FailingStreak"] >= 2
    assert health["Log"][-1]["ExitCode"] == 1 and health["Log"][-1]["Output"] == "probe said 1\n"
    assert c.extras.health is not None
    assert c.extras.health.status == "unhealthy"  # saved for filters and restarts
    e.runtime.finish(cid, 0)
    await until(lambda: status(e, cid) == "exited")
    assert cid not in e.health._tasks  # the timer stops with the container


@run
async def test_health_log_survives_a_daemon_restart(e: Env) -> None:
    hc = HealthConfig(Test=["CMD", "check"], Interval=30 * MS, Retries=3)
    cid = await e.run("sleep", "1", health=hc)
    e.probe_codes[cid] = [0, 1]
    await until(lambda: len(e.health.states[cid].log) == 2)
    e.health.close()
    e.svc = e._service()  # a new daemon over the same store, before any further probe
    inspect = ContainerInspect()
    e.health.decorate(e.svc.resolve(cid), inspect)
    health = msgspec.to_builtins(inspect.State.Health)
    assert health["Status"] == "healthy" and health["FailingStreak"] == 1
    assert [x["ExitCode"] for x in health["Log"]] == [0, 1]


@run
async def test_health_timeout_is_a_failure(e: Env) -> None:
    hc = HealthConfig(Test=["CMD", "slow"], Interval=20 * MS, Timeout=50 * MS, Retries=1)
    cid = await e.run("sleep", "1", health=hc)
    e.probe_codes[cid] = [-99]

    async def timed(cid: str, argv: tuple[str, ...], timeout: float) -> tuple[int, bytes]:
        return await asyncio.wait_for(Env._probe(e, cid, argv, timeout), timeout)

    e.health.probe = timed
    await until(lambda: e.health.states[cid].status == "unhealthy")
    last = e.health.states[cid].log[-1]
    assert last.exit_code == -1 and last.output == "Health check exceeded timeout (50ms)"


@run
async def test_on_unhealthy_policy_restarts_the_container(e: Env) -> None:
    hc = HealthConfig(Test=["CMD", "check"], Interval=30 * MS, Retries=1)
    cid = await e.run("sleep", "1", policy="on-unhealthy", health=hc)
    e.probe_codes[cid] = [1, 0]
    await until(lambda: e.svc.resolve(cid).restart_count == 1 and status(e, cid) == "running")
    await until(lambda: e.health.states[cid].status == "healthy")
    assert "health_status: unhealthy" in e.actions(cid)
    assert not e.svc.resolve(cid).manually_stopped


@run
async def test_no_healthcheck_means_no_health(e: Env) -> None:
    cid = await e.run("sleep", "1", health=HealthConfig(Test=["NONE"]))
    view = ContainerInspect()
    e.health.decorate(e.svc.resolve(cid), view)
    assert view.State.Health is msgspec.UNSET and cid not in e.health._tasks
