"""The restart policy's executor: a container plugin with no decision logic.

``exited`` asks ``restart.should_restart``; when it answers a delay, the container
becomes ``restarting`` (RestartCount + 1), the executor sleeps the delay and starts
it again. A ``stop`` during the delay ends the wait (the container stays exited).
``boot`` starts the containers a policy brings back when the daemon starts.
Per-container state (the last delay) lives in ``extras["restart"]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from pallet.engine.containers import ContainerService
from pallet.engine.lifecycle import State
from pallet.engine.plugins import Plugin, StartContext
from pallet.engine.records import Container, now_rfc3339
from pallet.engine.restart import Policy, restart_on_daemon_start, should_restart
from pallet.engine.views import parse_time
from pallet.errors import InvalidArgument, PalletError

log = logging.getLogger(__name__)

POLL = 0.05  # how often a pending restart looks for a stop or removal


def policy_of(c: Container) -> Policy:
    rp = c.host_config.RestartPolicy
    if rp is None:
        return Policy()
    return Policy.of(rp.Name, rp.MaximumRetryCount)


class RestartPlugin(Plugin):
    name = "restart"

    def __init__(self, containers: ContainerService) -> None:
        self.containers = containers
        self._ours: set[str] = set()  # starts issued by the executor, not by a user
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
        c.extras.pop(self.name, None)

    async def exited(self, c: Container) -> None:
        try:
            policy = policy_of(c)
        except InvalidArgument:
            return
        ran_for = max(0.0, parse_time(c.finished_at) - parse_time(c.started_at))
        previous = c.extras.get(self.name, {}).get("delay")
        delay = should_restart(policy, c.exit_code, c.manually_stopped, c.restart_count,
                               ran_for, previous)
        if delay is None:
            return
        c.status = State.RESTARTING
        c.restart_count += 1
        c.extras[self.name] = {"delay": delay}
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
        """Before reconcile: pending restarts of the last daemon become plain exits.

        Returns the IDs of the containers to start, in dependency order (a container
        after those it links to).
        """
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
        return [c.id for c in dependency_order(wanted)]

    async def boot(self, ids: list[str]) -> None:
        """Start ``ids`` one after another (the daemon is already serving)."""
        for cid in ids:
            c = self.containers.store.get(cid)
            if c is None or c.status != State.EXITED:
                continue
            try:
                # A start cut short by the daemon's death can leave runtime state behind.
                with contextlib.suppress(PalletError):
                    await self.containers.runtime.delete(cid, force=True)
                await self.containers.start(cid)  # as dockerd: the count starts again
            except PalletError as e:
                log.warning("starting %s on daemon start failed: %s", cid[:12], e)

    def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()


def _links(c: Container) -> set[str]:
    """Names this container depends on (``--link name:alias``)."""
    out = set()
    for link in c.host_config.Links or []:
        out.add(link.split(":", 1)[0].lstrip("/"))
    return out


def dependency_order(items: list[Container]) -> list[Container]:
    """``items`` with each container after those it links to (stable; cycles broken)."""
    by_name = {c.name: c for c in items}
    done: set[str] = set()
    out: list[Container] = []

    def visit(c: Container, seen: frozenset[str]) -> None:
        if c.name in done or c.name in seen:
            return
        for dep in sorted(_links(c)):
            if dep in by_name:
                visit(by_name[dep], seen | {c.name})
        done.add(c.name)
        out.append(c)

    for c in sorted(items, key=lambda c: c.created_unix):
        visit(c, frozenset())
    return out
