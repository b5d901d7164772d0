"""Health monitors: one asyncio task per running container with a check.

The task starts at ``started`` and is cancelled at ``released``; it sleeps the
interval ``health.next_interval`` gives, runs the probe (an exec in the
container, passed in as ``probe``) and feeds the result to ``health.apply_result``.
Each result is saved in ``extras.health`` (so ``ps --filter health=`` and
a daemon restart see the status and its log); a change of status is published
as a ``health_status: <status>`` event. With the ``on-unhealthy`` restart
policy an unhealthy container is killed (not marked as stopped by hand), so the
restart policy brings it back.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable

from pallet.api.view_containers import ContainerInspect, ContainerView
from pallet.engine.containers import ContainerService
from pallet.engine.health import (
    HEALTHY,
    STARTING,
    UNHEALTHY,
    HealthSpec,
    HealthState,
    ProbeResult,
    apply_result,
    cut_output,
    health_spec,
    next_interval,
    status_suffix,
)
from pallet.engine.lifecycle import State
from pallet.engine.plugins import Plugin
from pallet.engine.records import Container, now_rfc3339
from pallet.engine.views import parse_time
from pallet.errors import PalletError

log = logging.getLogger(__name__)

# (container id, argv, timeout in seconds) -> (exit code, output); raises TimeoutError
Probe = Callable[[str, tuple[str, ...], float], Awaitable[tuple[int, bytes]]]


def _duration_text(seconds: float) -> str:
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{seconds * 1000:g}ms" if seconds < 1 else f"{seconds:g}s"


def spec_of(c: Container) -> HealthSpec | None:
    return health_spec(c.config.Healthcheck, c.config.Shell)


class HealthPlugin(Plugin):
    name = "health"

    def __init__(self, containers: ContainerService, probe: Probe) -> None:
        self.containers = containers
        self.probe = probe
        self.states: dict[str, HealthState] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.probes_run = 0

    # -- plugin hooks --------------------------------------------------------------------
    async def started(self, c: Container) -> None:
        spec = spec_of(c)
        if spec is None:
            return
        state = HealthState()
        self.states[c.id] = state
        self._save(c.id, state)
        self._monitor(c.id, spec, time.monotonic())

    async def released(self, c: Container) -> None:
        self._cancel(c.id)

    async def removed(self, c: Container, volumes: bool) -> None:
        self._cancel(c.id)
        self.states.pop(c.id, None)

    def decorate(self, c: Container, view: ContainerView) -> None:
        if spec_of(c) is None:
            return
        state = self.state_of(c)
        if state is None:
            return
        if isinstance(view, ContainerInspect):
            view.State.Health = state.wire()
        elif c.status == State.RUNNING:
            view.Status += status_suffix(state.status)

    # -- state ---------------------------------------------------------------------------
    def state_of(self, c: Container) -> HealthState | None:
        state = self.states.get(c.id)
        return state if state is not None else c.extras.health

    def status_of(self, cid: str) -> str | None:
        """The container's health status now (None: no check, or no such container)."""
        c = self.containers.store.get(cid)
        if c is None or spec_of(c) is None:
            return None
        state = self.state_of(c)
        return None if state is None else state.status

    def _save(self, cid: str, state: HealthState) -> None:
        c = self.containers.store.get(cid)  # fresh copy, saved without an await between
        if c is None:
            return
        c.extras.health = state
        self.containers.store.save(c)

    # -- monitors ------------------------------------------------------------------------
    def resume(self) -> None:
        """After a daemon start: monitors for the containers that kept running."""
        for c in self.containers.store.all():
            spec = spec_of(c)
            if spec is None or c.status != State.RUNNING or c.id in self._tasks:
                continue
            state = self.state_of(c) or HealthState()
            self.states[c.id] = state
            ran = max(0.0, time.time() - parse_time(c.started_at))
            self._monitor(c.id, spec, time.monotonic() - ran)

    def _monitor(self, cid: str, spec: HealthSpec, t0: float) -> None:
        self._cancel(cid)
        task = asyncio.get_running_loop().create_task(self._run(cid, spec, t0))
        self._tasks[cid] = task

    def _cancel(self, cid: str) -> None:
        task = self._tasks.pop(cid, None)
        if task is not None:
            task.cancel()

    async def _run(self, cid: str, spec: HealthSpec, t0: float) -> None:
        try:
            while True:
                state = self.states.get(cid, HealthState())
                await asyncio.sleep(next_interval(spec, state.status, time.monotonic() - t0))
                await self.check(cid, spec, t0)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("health monitor of %s failed", cid[:12])

    async def check(self, cid: str, spec: HealthSpec, t0: float) -> HealthState:
        """Run one probe and apply its result (also what the timer calls)."""
        start = now_rfc3339()
        try:
            code, out = await self.probe(cid, spec.argv, spec.timeout)
            output = cut_output(out)
        except TimeoutError:
            code, output = -1, f"Health check exceeded timeout ({_duration_text(spec.timeout)})"
        except PalletError as e:
            code, output = -1, e.message
        self.probes_run += 1
        result = ProbeResult(start, now_rfc3339(), code, output)
        old = self.states.get(cid, HealthState())
        new = apply_result(old, result, spec.retries, time.monotonic() - t0 < spec.start_period)
        self.states[cid] = new
        self._save(cid, new)  # each probe, as dockerd checkpoints it: the log survives a restart
        if new.status != old.status:
            c = self.containers.store.get(cid)
            if c is not None:
                self.containers.event(c, f"health_status: {new.status}")
                if new.status == UNHEALTHY and c.host_config.RestartPolicy is not None and \
                        c.host_config.RestartPolicy.Name == "on-unhealthy":
                    await self._kill_unhealthy(c)
        return new

    async def _kill_unhealthy(self, c: Container) -> None:
        log.info("container %s is unhealthy: killing it for its restart policy", c.short_id)
        try:
            await self.containers.runtime.kill(c.id, signal.SIGKILL)
        except PalletError as e:
            log.warning("killing unhealthy %s failed: %s", c.short_id, e)

    def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()

    def counts(self) -> dict[str, int]:
        """Containers per health status (for metrics)."""
        out = {STARTING: 0, HEALTHY: 0, UNHEALTHY: 0}
        for cid, state in self.states.items():
            if cid in self._tasks:
                out[state.status] = out.get(state.status, 0) + 1
        return out
