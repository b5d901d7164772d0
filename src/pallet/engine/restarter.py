"""The restart policy's executor: a container plugin with no decision logic.

``exited`` asks ``restart.should_restart``; when it answers a delay, the container
becomes ``restarting`` (RestartCount + 1), the executor sleeps the delay and starts
it again. A ``stop`` during the delay ends the wait (the container stays exited).
``boot`` starts the containers a policy brings back when the daemon starts, in dependency
order (``bootorder``: links and Compose's ``depends_on`` label, waiting for health where
the condition is ``service_healthy``).
Per-container state (the last delay) lives in ``extras.restart``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from pallet.engine.bootorder import COMPLETED, HEALTHY, STARTED, Dependency, boot_plan
from pallet.engine.containers import ContainerService
from pallet.engine.health import HEALTHY as HEALTH_OK
from pallet.engine.health import UNHEALTHY as HEALTH_BAD
from pallet.engine.health import health_spec
from pallet.engine.lifecycle import State
from pallet.engine.plugins import Plugin, StartContext
from pallet.engine.pluginstate import RestartState
from pallet.engine.records import Container, now_rfc3339
from pallet.engine.restart import Policy, restart_on_daemon_start, should_restart
from pallet.engine.views import parse_time
from pallet.errors import InvalidArgument, PalletError

log = logging.getLogger(__name__)

POLL = 0.05  # how often a pending restart looks for a stop or removal
BOOT_POLL = 0.1  # how often a daemon start looks at a dependency's state
BOOT_PARALLEL = 4  # containers a daemon start starts at once
BOOT_COMPLETION_WAIT = 300.0  # the longest a daemon start waits for a one-off to finish


def policy_of(c: Container) -> Policy:
    rp = c.host_config.RestartPolicy
    if rp is None:
        return Policy()
    return Policy.of(rp.Name, rp.MaximumRetryCount)


class RestartPlugin(Plugin):
    name = "restart"

    def __init__(self, containers: ContainerService,
                 health_status: Callable[[str], str | None] = lambda cid: None,
                 hold: bool = False) -> None:
        self.containers = containers
        self.health_status = health_status  # a container's health status (None: no check)
        self._ours: set[str] = set()  # starts issued by the executor, not by a user
        # ``hold``: until ``settle``, exits (those reconcile finds after a daemon start)
        # do not restart one by one: ``boot`` brings them back in dependency order
        self._holding = hold
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def created(self, c: Container) -> None:
        policy = policy_of(c)
        if policy.restarts and c.host_config.AutoRemove:
            raise InvalidArgument("can't create 'AutoRemove' container with restart policy")

    async def prepare(self, c: Container, ctx: StartContext) -> None:
        if c.id in self._ours:
            return
        # A user's start: Docker resets the count and the backoff.
        c.restart_count = 0
        c.extras.restart = None

    async def exited(self, c: Container) -> None:
        try:
            policy = policy_of(c)
        except InvalidArgument:
            return
        if self._holding:
            return  # the daemon is starting: settle and boot decide, in dependency order
        ran_for = max(0.0, parse_time(c.finished_at) - parse_time(c.started_at))
        previous = c.extras.restart.delay if c.extras.restart else None
        delay = should_restart(policy, c.exit_code, c.manually_stopped, c.restart_count,
                               ran_for, previous)
        if delay is None:
            return
        c.status = State.RESTARTING
        c.restart_count += 1
        c.extras.restart = RestartState(delay=delay)
        self.containers.store.save(c)
        self._spawn(c.id, delay)

    def _spawn(self, cid: str, delay: float) -> None:
        old = self._tasks.pop(cid, None)
        if old is not None:
            old.cancel()
        task = asyncio.get_running_loop().create_task(self._restart_later(cid, delay))
        self._tasks[cid] = task
        task.add_done_callback(lambda t: self._tasks.pop(cid, None) if
                               self._tasks.get(cid) is t else None)

    async def _restart_later(self, cid: str, delay: float) -> None:
        deadline = time.monotonic() + delay
        while True:
            c = self.containers.store.get(cid)
            if c is None or c.status != State.RESTARTING:
                return  # removed, or started by someone else
            if c.manually_stopped:
                await self._abandon(c)
                return
            left = deadline - time.monotonic()
            if left <= 0:
                break
            await asyncio.sleep(min(POLL, left))
        self._ours.add(cid)
        try:
            await self.containers.start(cid)
        except PalletError as e:
            log.warning("restarting %s failed: %s", cid[:12], e)
        finally:
            self._ours.discard(cid)

    async def _abandon(self, c: Container) -> None:
        """A stop arrived during the delay: the container stays exited."""
        c.status = State.EXITED
        c.finished_at = c.finished_at or now_rfc3339()
        self.containers.store.save(c)
        self.containers.waiters.exited(c.id, c.exit_code)

    async def removed(self, c: Container, volumes: bool) -> None:
        task = self._tasks.pop(c.id, None)
        if task is not None:
            task.cancel()

    # -- daemon start ----------------------------------------------------------------
    def settle(self) -> list[str]:
        """After reconcile: pending restarts of the last daemon become plain exits, and from
        now on exits restart by the policy as they happen.

        Returns the IDs of the containers to start, in dependency order (``bootorder``).
        """
        self._holding = False
        wanted: list[Container] = []
        for c in self.containers.store.all():
            if c.status == State.RESTARTING:
                c.status = State.EXITED
                self.containers.store.save(c)
            if c.status != State.EXITED:
                continue
            try:
                policy = policy_of(c)
            except InvalidArgument:
                continue
            if restart_on_daemon_start(policy, c.exit_code, c.manually_stopped,
                                       c.restart_count):
                wanted.append(c)
        return [c.id for c, _ in boot_plan(wanted)]

    async def boot(self, ids: list[str]) -> None:
        """Start ``ids`` (the daemon is already serving), each once its dependencies are
        started, healthy or completed as their condition asks (``bootorder``); independent
        ones start side by side, at most BOOT_PARALLEL at a time."""
        items = [c for cid in ids if (c := self.containers.store.get(cid)) is not None]
        plan = boot_plan(items)
        done = {c.id: asyncio.Event() for c, _ in plan}
        slots = asyncio.Semaphore(BOOT_PARALLEL)

        async def bring_back(c: Container, deps: list[Dependency]) -> None:
            try:
                for dep in deps:
                    await done[dep.id].wait()
                    await self._wait_for(c, dep)
                async with slots:
                    await self._boot_start(c.id)
            finally:
                done[c.id].set()

        await asyncio.gather(*(bring_back(c, deps) for c, deps in plan))

    async def _boot_start(self, cid: str) -> None:
        c = self.containers.store.get(cid)
        if c is None or c.status != State.EXITED:
            return
        try:
            # A start cut short by the daemon's death can leave runtime state behind.
            with contextlib.suppress(PalletError):
                await self.containers.runtime.delete(cid, force=True)
            await self.containers.start(cid)  # as dockerd: the count starts again
        except PalletError as e:
            log.warning("starting %s on daemon start failed: %s", cid[:12], e)

    async def _wait_for(self, c: Container, dep: Dependency) -> None:
        """Wait until ``dep`` meets its condition, it cannot any more, or its time is up."""
        if dep.condition == STARTED:
            return
        other = self.containers.store.get(dep.id)
        spec = None if other is None else health_spec(other.config.Healthcheck,
                                                      other.config.Shell)
        if dep.condition == HEALTHY and spec is not None:
            limit = spec.start_period + (spec.interval + spec.timeout) * (spec.retries + 1)
        elif dep.condition == COMPLETED:
            limit = BOOT_COMPLETION_WAIT
        else:
            return  # no health check: started is all there is to wait for
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            other = self.containers.store.get(dep.id)
            if other is None:
                return
            if dep.condition == COMPLETED:
                if other.status == State.EXITED:
                    return
            elif other.status != State.RUNNING or self.health_status(dep.id) in (
                    HEALTH_OK, HEALTH_BAD):
                return
            await asyncio.sleep(BOOT_POLL)
        log.warning("starting %s: %s did not reach %s in %.0fs; starting it anyway",
                    c.short_id, dep.id[:12], dep.condition, limit)

    def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()

