"""Health checks: the configuration and the state machine, as pure functions.

Docker's rules (moby ``daemon/health.go``):

- ``Test``: ``["NONE"]`` disables the check; ``["CMD", arg...]`` runs the args;
  ``["CMD-SHELL", cmd]`` runs ``cmd`` with the container's shell (``/bin/sh -c``).
  Durations are nanoseconds; 0 means the default: interval 30 s, timeout 30 s,
  retries 3, start period 0, start interval 5 s.
- A started container is ``starting``. The first probe runs one interval after
  the start; while the container is ``starting`` and inside its start period, the
  start interval is used instead.
- Exit 0: ``healthy`` and the failing streak is reset. Anything else (a timeout is
  exit -1) is a failure: inside the start period while still ``starting`` it is
  not counted; otherwise the streak grows and reaching ``retries`` makes it
  ``unhealthy``. A failure never turns ``unhealthy`` into anything else.
- The log keeps the last 5 results; output is cut to 4096 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from pallet.api.models import HealthConfig
from pallet.api.view_containers import Health, HealthcheckResult

STARTING, HEALTHY, UNHEALTHY, NONE = "starting", "healthy", "unhealthy", "none"
DEFAULT_INTERVAL = 30.0
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
DEFAULT_START_INTERVAL = 5.0
MAX_LOG = 5
MAX_OUTPUT = 4096
NS = 1_000_000_000
MIN_DURATION_NS = 1_000_000  # dockerd's minimum for every healthcheck duration


@dataclass(frozen=True)
class HealthSpec:
    argv: tuple[str, ...]
    interval: float = DEFAULT_INTERVAL
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    start_period: float = 0.0
    start_interval: float = DEFAULT_START_INTERVAL


def _seconds(ns: int, default: float) -> float:
    """A duration of the config in seconds; never below dockerd's 1 ms minimum (an image's
    config, or a record made before create checked it, may hold 1 ns)."""
    return max(ns, MIN_DURATION_NS) / NS if ns > 0 else default


def health_spec(cfg: HealthConfig | None, shell: list[str] | None = None) -> HealthSpec | None:
    """The check to run, or None when there is none (no Test, or NONE)."""
    if cfg is None or not cfg.Test:
        return None
    kind, args = cfg.Test[0], list(cfg.Test[1:])
    if kind == "NONE":
        return None
    if kind == "CMD-SHELL":
        argv = [*(shell or ["/bin/sh", "-c"]), " ".join(args)]
    elif kind == "CMD":
        argv = args
    else:  # an old image's bare command list: the shell form
        argv = [*(shell or ["/bin/sh", "-c"]), " ".join(cfg.Test)]
    if not argv:
        return None
    return HealthSpec(
        argv=tuple(argv),
        interval=_seconds(cfg.Interval, DEFAULT_INTERVAL),
        timeout=_seconds(cfg.Timeout, DEFAULT_TIMEOUT),
        retries=cfg.Retries if cfg.Retries > 0 else DEFAULT_RETRIES,
        start_period=_seconds(cfg.StartPeriod, 0.0),
        start_interval=_seconds(cfg.StartInterval, DEFAULT_START_INTERVAL),
    )


class ProbeResult(msgspec.Struct, frozen=True):
    """One probe; saved with the container under inspect's names."""

    start: str = msgspec.field(default="", name="Start")  # RFC 3339
    end: str = msgspec.field(default="", name="End")
    exit_code: int = msgspec.field(default=0, name="ExitCode")
    output: str = msgspec.field(default="", name="Output")

    def wire(self) -> HealthcheckResult:
        return HealthcheckResult(Start=self.start, End=self.end, ExitCode=self.exit_code,
                                 Output=self.output)


class HealthState(msgspec.Struct, frozen=True):
    """The health plugin's state of a container (``State.Health`` of inspect), saved with
    the record under inspect's names."""

    status: str = msgspec.field(default=STARTING, name="Status")
    failing_streak: int = msgspec.field(default=0, name="FailingStreak")
    log: tuple[ProbeResult, ...] = msgspec.field(default=(), name="Log")

    def wire(self) -> Health:
        return Health(Status=self.status, FailingStreak=self.failing_streak,
                      Log=[r.wire() for r in self.log])



def cut_output(data: bytes) -> str:
    return data[:MAX_OUTPUT].decode(errors="replace")


def apply_result(state: HealthState, result: ProbeResult, retries: int,
                 in_start_period: bool) -> HealthState:
    """The state after one probe."""
    log = (*state.log, result)[-MAX_LOG:]
    if result.exit_code == 0:
        return HealthState(HEALTHY, 0, log)
    if state.status == STARTING and in_start_period:
        return msgspec.structs.replace(state, log=log)
    streak = state.failing_streak + 1
    status = UNHEALTHY if streak >= retries else state.status
    return HealthState(status, streak, log)


def next_interval(spec: HealthSpec, status: str, since_start: float) -> float:
    """Seconds until the next probe."""
    if status == STARTING and spec.start_period > 0 and since_start < spec.start_period:
        return spec.start_interval
    return spec.interval


def status_suffix(status: str) -> str:
    """What ``docker ps`` appends to ``Up 5 seconds``."""
    if status == STARTING:
        return " (health: starting)"
    if status in (HEALTHY, UNHEALTHY):
        return f" ({status})"
    return ""
