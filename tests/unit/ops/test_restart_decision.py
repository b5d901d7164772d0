"""The restart decision (pure): Docker's policy table and backoff."""

from __future__ import annotations

import pytest

from pallet.engine.restart import (
    FIRST_DELAY,
    MAX_DELAY,
    Policy,
    next_delay,
    restart_on_daemon_start,
    should_restart,
)
from pallet.errors import InvalidArgument

NO, ALWAYS, UNLESS = Policy("no"), Policy("always"), Policy("unless-stopped")
ONF, ONF2, UNHEALTHY = Policy("on-failure"), Policy("on-failure", 2), Policy("on-unhealthy")


@pytest.mark.parametrize(("policy", "code", "manual", "count", "ran", "want"), [
    (NO, 1, False, 0, 0.0, None),
    (NO, 0, False, 0, 0.0, None),
    (ALWAYS, 0, False, 0, 0.0, FIRST_DELAY),
    (ALWAYS, 1, False, 0, 0.0, FIRST_DELAY),
    (ALWAYS, 1, True, 0, 0.0, None),          # stopped by hand
    (UNLESS, 0, False, 0, 0.0, FIRST_DELAY),
    (UNLESS, 137, True, 0, 0.0, None),
    (UNHEALTHY, 137, False, 0, 0.0, FIRST_DELAY),
    (ONF, 0, False, 0, 0.0, None),            # success is not a failure
    (ONF, 1, False, 0, 0.0, FIRST_DELAY),
    (ONF, 1, False, 50, 0.0, MAX_DELAY),      # no maximum: keeps going, capped delay
    (ONF, 1, True, 0, 0.0, None),
    (ONF2, 1, False, 0, 0.0, FIRST_DELAY),
    (ONF2, 1, False, 1, 0.0, 0.2),
    (ONF2, 1, False, 2, 0.0, None),           # two restarts done
    (ALWAYS, 0, False, 3, 0.0, 0.8),          # 0.1, 0.2, 0.4, then 0.8
    (ALWAYS, 0, False, 3, 10.0, FIRST_DELAY),  # ran 10 s: backoff reset
    (ALWAYS, 0, False, 3, 9.9, 0.8),
])
def test_should_restart_table(policy: Policy, code: int, manual: bool, count: int,
                              ran: float, want: float | None) -> None:
    got = should_restart(policy, code, manual, count, ran)
    assert got == (pytest.approx(want) if want is not None else None)


def test_backoff_doubles_from_the_previous_delay_and_caps() -> None:
    delays = []
    previous = None
    for _ in range(12):
        previous = next_delay(previous, ran_for=0.5)
        delays.append(previous)
    assert delays[:5] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6])
    assert delays[-1] == MAX_DELAY
    assert next_delay(30.0, ran_for=11.0) == FIRST_DELAY
    # previous_delay wins over the count (a reset earlier keeps the delay short)
    assert should_restart(ALWAYS, 0, False, 40, 1.0, previous_delay=0.1) == pytest.approx(0.2)


@pytest.mark.parametrize(("policy", "code", "manual", "count", "want"), [
    (ALWAYS, 0, True, 0, True),     # always comes back, even stopped by hand
    (UNLESS, 0, False, 0, True),
    (UNLESS, 0, True, 0, False),
    (UNHEALTHY, 0, True, 0, False),
    (NO, 1, False, 0, False),
    (ONF2, 1, False, 1, True),
    (ONF2, 1, False, 2, False),
    (ONF2, 0, False, 0, False),
    (ONF2, 1, True, 0, False),
])
def test_restart_on_daemon_start(policy: Policy, code: int, manual: bool, count: int,
                                 want: bool) -> None:
    assert restart_on_daemon_start(policy, code, manual, count) is want


@pytest.mark.parametrize(("name", "count"), [
    ("sometimes", 0), ("always", 3), ("on-failure", -1),
])
def test_policy_refuses_bad_values(name: str, count: int) -> None:
    with pytest.raises(InvalidArgument):
        Policy.of(name, count)


def test_policy_defaults() -> None:
    assert Policy.of("") == Policy("no")
    assert Policy.of(None) == Policy("no")
    assert Policy.of("on-failure", 3) == Policy("on-failure", 3)
    assert not Policy.of("no").restarts
