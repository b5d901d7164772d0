"""Log rotation for running containers: one poller for all of them.

``created`` validates the container's LogConfig and fills in the daemon's
defaults (as dockerd does, so inspect shows what is in force). While a container
runs, a single task stats each watched log: a quiet one once a second, a busy one
sooner, by its growth rate (when half its room should be used, down to 10 ms), so a
fast writer overshoots ``max-size`` by little. A full log is rotated
(``logs.rotate``) and conmon asked to reopen it; files beyond ``max-file`` are
deleted shortly after, once conmon had time to reopen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pallet.api.models import LogConfig
from pallet.engine.containers import ContainerService
from pallet.engine.lifecycle import State
from pallet.engine.plugins import Plugin, StartContext
from pallet.engine.records import Container
from pallet.errors import PalletError
from pallet.logs.rotate import LogPolicy, drop_excess, parse_policy, rotate, use_null_log

log = logging.getLogger(__name__)

POLL = 1.0  # a quiet log is looked at once a second
MIN_POLL = 0.01  # a busy one as often as every 10 ms
REACTION = 0.03  # rename -> conmon reopened: what a fast writer adds meanwhile
BURST_ROOM = 64 << 20  # what a burst may add past max-size before conmon's cap
WARMUP, WARMUP_POLL = 2.0, 0.1  # a new log is looked at often until its rate is known


@dataclass
class Watched:
    path: Path
    bundle: Path
    policy: LogPolicy
    pending_drop: bool = False
    rotations: int = 0
    last_size: int = 0
    last_time: float = 0.0
    rate: float = 0.0  # bytes per second, smoothed
    next_check: float = 0.0
    since: float = -1.0  # first look (loop time)


def next_check_in(size: int, rate: float, max_size: int, poll: float) -> float:
    """Seconds until a log growing at ``rate`` should be looked at again (half its room)."""
    if rate <= 0:
        return poll
    room = max(0, max_size - size)
    return min(poll, max(MIN_POLL, room / rate / 2))


def hard_cap(max_size: int) -> int:
    """conmon's ``--log-size-max`` for a log rotated at ``max_size``.

    conmon does not rotate: at its cap it starts the file afresh and the lines in it are
    lost. The cap is therefore well above ``max-size``: the poller rotates first even
    during a burst that fills many times ``max-size`` between two looks (a file may then
    exceed ``max-size`` for a moment; nothing is lost). It still bounds a runaway writer
    should the poller ever fall behind by ``BURST_ROOM``.
    """
    return max(4 * max_size, max_size + BURST_ROOM)


def effective_opts(lc: LogConfig | None, default_driver: str,
                   default_opts: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The driver and options a container's logs run with: its own, and for the daemon's
    driver the daemon's default options under them (moby's merge of ``log-opts``)."""
    driver = (lc.Type if lc else "") or default_driver
    opts = dict(lc.Config or {}) if lc else {}
    if driver == default_driver:
        opts = {**default_opts, **opts}
    return driver, opts


class LogRotatePlugin(Plugin):
    name = "logs"

    def __init__(self, containers: ContainerService, reopen: Callable[[Path], None],
                 default_driver: str = "json-file",
                 default_opts: dict[str, str] | None = None, poll: float = POLL) -> None:
        self.containers = containers
        self.reopen = reopen
        self.default_driver = default_driver
        self.default_opts = dict(default_opts or {})
        parse_policy(default_driver, self.default_opts)  # refuse bad daemon defaults early
        self.poll = poll
        self.watched: dict[str, Watched] = {}
        self._task: asyncio.Task[None] | None = None

    # -- hooks -----------------------------------------------------------------------
    def policy_of(self, c: Container) -> LogPolicy:
        return parse_policy(*effective_opts(c.host_config.LogConfig, self.default_driver,
                                            self.default_opts))

    async def created(self, c: Container) -> None:
        """The container keeps the log config it asked for (inspect shows it as Docker does),
        with the driver filled in; the daemon's default options apply when it runs."""
        lc = c.host_config.LogConfig
        c.host_config.LogConfig = LogConfig(Type=(lc.Type if lc else "") or self.default_driver,
                                            Config=dict(lc.Config or {}) if lc else {})
        self.policy_of(c)  # raises InvalidArgument: the create fails

    async def prepare(self, c: Container, ctx: StartContext) -> None:
        with contextlib.suppress(PalletError):
            policy = self.policy_of(c)
            if policy.driver == "none":
                use_null_log(self.containers.log_path(c.id))
            elif policy.rotates:
                ctx.log_size_max = hard_cap(policy.max_size)

    async def started(self, c: Container) -> None:
        self.watch(c)

    async def released(self, c: Container) -> None:
        w = self.watched.pop(c.id, None)
        if w is not None:
            self._check(w, reopen=False, now=asyncio.get_running_loop().time())
            drop_excess(w.path, w.policy.max_file)

    # -- watching --------------------------------------------------------------------
    def watch(self, c: Container) -> None:
        try:
            policy = self.policy_of(c)
        except PalletError:
            return
        if not policy.rotates:
            return
        self.watched[c.id] = Watched(self.containers.log_path(c.id),
                                     self.containers.bundle(c.id), policy)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop())

    def resume(self) -> None:
        """After a daemon start: watch the containers that kept running."""
        for c in self.containers.store.all():
            if c.status in (State.RUNNING, State.PAUSED):
                self.watch(c)

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while self.watched:
            now = loop.time()
            soonest = now + self.poll
            for w in list(self.watched.values()):
                if w.next_check <= now:
                    try:
                        self._check(w, reopen=True, now=now)
                    except Exception:
                        log.exception("rotating %s failed", w.path)
                        w.next_check = now + self.poll
                soonest = min(soonest, w.next_check)
            await asyncio.sleep(max(MIN_POLL, soonest - loop.time()))

    def _check(self, w: Watched, reopen: bool, now: float = 0.0) -> None:
        """Rotate ``w`` if it is full (or will be before the next look); plan the next look."""
        if w.pending_drop:
            drop_excess(w.path, w.policy.max_file)
            w.pending_drop = False
        try:
            size = os.stat(w.path).st_size
        except FileNotFoundError:
            size = 0
        if w.last_time and now > w.last_time:
            grown = max(0, size - w.last_size)
            w.rate = 0.5 * w.rate + 0.5 * grown / (now - w.last_time)
        w.last_time = now
        w.last_size = size
        if w.since < 0:
            w.since = now
        if size + w.rate * REACTION >= w.policy.max_size and size > 0:
            rotate(w.path, w.policy.max_file)
            w.rotations += 1
            w.last_size = 0
            if reopen:
                try:
                    self.reopen(w.bundle)
                except PalletError:
                    pass  # conmon is gone: the exit handling will come
            w.pending_drop = True
            size = 0
        poll = self.poll if now - w.since > WARMUP else min(self.poll, WARMUP_POLL)
        w.next_check = now + next_check_in(size, w.rate, w.policy.max_size, poll)
        if w.pending_drop:
            w.next_check = min(w.next_check, now + MIN_POLL * 5)

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
