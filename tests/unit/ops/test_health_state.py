"""Health checks (pure): configuration and Docker's state transitions."""

from __future__ import annotations

import msgspec
import pytest

from pallet.api.models import HealthConfig
from pallet.engine.health import (
    HEALTHY,
    MAX_LOG,
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

S = 1_000_000_000


def result(code: int, out: str = "") -> ProbeResult:
    return ProbeResult("2024-01-01T00:00:00Z", "2024-01-01T00:00:01Z", code, out)


def test_spec_defaults_and_forms() -> None:
    spec = health_spec(HealthConfig(Test=["CMD-SHELL", "curl -f localhost"]))
    assert spec == HealthSpec(argv=("/bin/sh", "-c", "curl -f localhost"), interval=30.0,
                              timeout=30.0, retries=3, start_period=0.0, start_interval=5.0)
    spec = health_spec(HealthConfig(Test=["CMD", "true", "x"], Interval=S // 5, Timeout=2 * S,
                                    Retries=1, StartPeriod=3 * S, StartInterval=S // 10))
    assert spec == HealthSpec(("true", "x"), 0.2, 2.0, 1, 3.0, 0.1)
    assert health_spec(HealthConfig(Test=["CMD-SHELL", "x"]), ["/bin/bash", "-lc"]).argv == (
        "/bin/bash", "-lc", "x")


@pytest.mark.parametrize("cfg", [None, HealthConfig(), HealthConfig(Test=["NONE"]),
                                 HealthConfig(Test=[]), HealthConfig(Test=["CMD"])])
def test_no_check(cfg: HealthConfig | None) -> None:
    assert health_spec(cfg) is None


# (state before, exit code, retries, in start period) -> (status, streak)
@pytest.mark.parametrize(("status", "streak", "code", "retries", "in_start", "want"), [
    (STARTING, 0, 0, 3, False, (HEALTHY, 0)),
    (STARTING, 0, 0, 3, True, (HEALTHY, 0)),        # success counts in the start period
    (STARTING, 0, 1, 3, True, (STARTING, 0)),       # failure in the start period ignored
    (STARTING, 0, 1, 3, False, (STARTING, 1)),
    (STARTING, 2, 1, 3, False, (UNHEALTHY, 3)),
    (STARTING, 0, 1, 1, False, (UNHEALTHY, 1)),
    (HEALTHY, 0, 1, 3, True, (HEALTHY, 1)),         # start period only while starting
    (HEALTHY, 1, 1, 2, False, (UNHEALTHY, 2)),
    (HEALTHY, 1, -1, 3, False, (HEALTHY, 2)),       # timeout is a failure
    (UNHEALTHY, 5, 1, 3, False, (UNHEALTHY, 6)),
    (UNHEALTHY, 5, 0, 3, False, (HEALTHY, 0)),      # recovers
    (HEALTHY, 0, 2, 3, False, (HEALTHY, 1)),        # reserved code: a failure
])
def test_transitions(status: str, streak: int, code: int, retries: int, in_start: bool,
                     want: tuple[str, int]) -> None:
    new = apply_result(HealthState(status, streak), result(code), retries, in_start)
    assert (new.status, new.failing_streak) == want
    assert new.log[-1].exit_code == code


def test_log_keeps_last_five_and_output_is_cut() -> None:
    state = HealthState()
    for i in range(8):
        state = apply_result(state, result(0, f"run {i}"), 3, False)
    assert [r.output for r in state.log] == [f"run {i}" for i in range(3, 8)]
    assert len(state.log) == MAX_LOG
    assert len(cut_output(b"x" * 10000)) == 4096
    wire = msgspec.to_builtins(state.wire())
    assert wire["Status"] == HEALTHY and wire["FailingStreak"] == 0
    assert set(wire["Log"][0]) == {"Start", "End", "ExitCode", "Output"}
    # saved with the record under the same names, and read back whole
    saved = msgspec.json.encode(state)
    assert msgspec.json.decode(saved) == wire
    assert msgspec.json.decode(saved, type=HealthState) == state


def test_interval_uses_start_interval_in_the_start_period() -> None:
    spec = HealthSpec(("true",), interval=30.0, start_period=10.0, start_interval=1.0)
    assert next_interval(spec, STARTING, 2.0) == 1.0
    assert next_interval(spec, STARTING, 11.0) == 30.0
    assert next_interval(spec, HEALTHY, 2.0) == 30.0
    assert next_interval(HealthSpec(("true",), interval=5.0), STARTING, 0.0) == 5.0


def test_ps_suffix() -> None:
    assert status_suffix(STARTING) == " (health: starting)"
    assert status_suffix(HEALTHY) == " (healthy)"
    assert status_suffix(UNHEALTHY) == " (unhealthy)"
    assert status_suffix("none") == ""


def test_durations_never_below_one_millisecond() -> None:
    """A 1 ns interval (an image's config, an old record) must not spin a core."""
    spec = health_spec(HealthConfig(Test=["CMD", "true"], Interval=1, Timeout=5,
                                    StartInterval=1))
    assert spec is not None
    assert spec.interval == spec.timeout == spec.start_interval == 0.001
