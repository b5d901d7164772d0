import pytest

from pallet.engine.lifecycle import Op, State, allowed, next_state
from pallet.errors import Conflict, NotModified

CASES = [
    (Op.START, State.CREATED, State.RUNNING),
    (Op.START, State.EXITED, State.RUNNING),
    (Op.PAUSE, State.RUNNING, State.PAUSED),
    (Op.UNPAUSE, State.PAUSED, State.RUNNING),
    (Op.DIE, State.RUNNING, State.EXITED),
    (Op.DIE, State.PAUSED, State.EXITED),
    (Op.STOP, State.RUNNING, State.RUNNING),
    (Op.REMOVE, State.EXITED, State.REMOVING),
    (Op.FORCE_REMOVE, State.RUNNING, State.REMOVING),
]


@pytest.mark.parametrize(("op", "state", "after"), CASES)
def test_allowed_transitions(op: Op, state: State, after: State) -> None:
    assert next_state(op, state, "c") is after


@pytest.mark.parametrize(("op", "state", "kind", "text"), [
    (Op.START, State.RUNNING, NotModified, "already running"),
    (Op.STOP, State.EXITED, NotModified, "already exited"),
    (Op.START, State.PAUSED, Conflict, "try unpause"),
    (Op.REMOVE, State.RUNNING, Conflict, "stop the container before removing"),
    (Op.KILL, State.EXITED, Conflict, "is not running"),
    (Op.PAUSE, State.PAUSED, Conflict, "already paused"),
    (Op.UNPAUSE, State.RUNNING, Conflict, "is not paused"),
    (Op.EXEC, State.CREATED, Conflict, "is not running"),
])
def test_refusals(op: Op, state: State, kind: type[Exception], text: str) -> None:
    with pytest.raises(kind, match=text):
        next_state(op, state, "c")
    assert not allowed(op, state)
