"""The container lifecycle as one table.

States are Docker's ``State.Status`` values. Each row says which operation is
allowed from which state and where it leads; anything not in the table is
refused with the error kind the table names. Rules:

- ``created`` and ``exited`` containers can be started; starting a running one
  is a no-op reported as 304 (NotModified), as dockerd does.
- Only a running container can be paused; only a paused one unpaused.
- ``stop`` of a container that is not running is a 304; of a paused one it
  unpauses first (the engine does that), so it is allowed.
- ``kill`` needs a running (or paused) container: 409 otherwise.
- ``remove`` without force needs a container that is not running or paused.
- ``die`` is what the runtime reports, never requested: running, paused and
  restarting containers become ``exited``.
- ``restarting`` is the restart policy's wait between a die and the next start.
- ``dead`` is a container whose removal failed half-way; only removal is allowed.
"""

from __future__ import annotations

from enum import StrEnum

from pallet.errors import Conflict, NotModified, PalletError


class State(StrEnum):
    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    RESTARTING = "restarting"
    REMOVING = "removing"
    EXITED = "exited"
    DEAD = "dead"


class Op(StrEnum):
    START = "start"
    STARTED = "started"
    STOP = "stop"
    KILL = "kill"
    PAUSE = "pause"
    UNPAUSE = "unpause"
    DIE = "die"
    RESTARTING = "restarting"
    REMOVE = "remove"
    FORCE_REMOVE = "force_remove"
    EXEC = "exec"


S = State
# (op, from state) -> next state; the value None means "allowed, state unchanged".
_TABLE: dict[tuple[Op, State], State | None] = {
    (Op.START, S.CREATED): S.RUNNING,
    (Op.START, S.EXITED): S.RUNNING,
    (Op.START, S.RESTARTING): S.RUNNING,
    (Op.STARTED, S.CREATED): S.RUNNING,
    (Op.STARTED, S.EXITED): S.RUNNING,
    (Op.STARTED, S.RESTARTING): S.RUNNING,
    (Op.STOP, S.RUNNING): None,
    (Op.STOP, S.PAUSED): None,
    (Op.STOP, S.RESTARTING): S.EXITED,
    (Op.KILL, S.RUNNING): None,
    (Op.KILL, S.PAUSED): None,
    (Op.PAUSE, S.RUNNING): S.PAUSED,
    (Op.UNPAUSE, S.PAUSED): S.RUNNING,
    (Op.DIE, S.RUNNING): S.EXITED,
    (Op.DIE, S.PAUSED): S.EXITED,
    (Op.DIE, S.RESTARTING): S.EXITED,
    (Op.DIE, S.CREATED): S.EXITED,
    (Op.RESTARTING, S.EXITED): S.RESTARTING,
    (Op.REMOVE, S.CREATED): S.REMOVING,
    (Op.REMOVE, S.EXITED): S.REMOVING,
    (Op.REMOVE, S.DEAD): S.REMOVING,
    (Op.FORCE_REMOVE, S.CREATED): S.REMOVING,
    (Op.FORCE_REMOVE, S.EXITED): S.REMOVING,
    (Op.FORCE_REMOVE, S.DEAD): S.REMOVING,
    (Op.FORCE_REMOVE, S.RUNNING): S.REMOVING,
    (Op.FORCE_REMOVE, S.PAUSED): S.REMOVING,
    (Op.FORCE_REMOVE, S.RESTARTING): S.REMOVING,
    (Op.EXEC, S.RUNNING): None,
}

# Refusals that are not plain 409 conflicts.
_NOT_MODIFIED = {
    (Op.START, S.RUNNING),
    (Op.STOP, S.CREATED),
    (Op.STOP, S.EXITED),
}


def _refusal(op: Op, state: State, name: str) -> PalletError:
    if (op, state) in _NOT_MODIFIED:
        return NotModified(f"container {name} is already {state.value}")
    if op is Op.START and state is S.PAUSED:
        return Conflict(
            f"cannot start a paused container {name}, try unpause instead"
        )
    if op in (Op.REMOVE,) and state in (S.RUNNING, S.PAUSED, S.RESTARTING):
        verb = "running" if state is S.RUNNING else state.value
        return Conflict(
            f"cannot remove container \"{name}\": container is {verb}: "
            "stop the container before removing or force remove"
        )
    if op is Op.KILL or op is Op.EXEC:
        return Conflict(f"container {name} is not running")
    if op is Op.PAUSE:
        if state is S.PAUSED:
            return Conflict(f"container {name} is already paused")
        return Conflict(f"container {name} is not running")
    if op is Op.UNPAUSE:
        return Conflict(f"container {name} is not paused")
    return Conflict(f"cannot {op.value} container {name}: it is {state.value}")


def next_state(op: Op, state: State, name: str) -> State:
    """The state after ``op``; raises the refusal (NotModified or Conflict)."""
    key = (op, state)
    if key not in _TABLE:
        raise _refusal(op, state, name)
    result = _TABLE[key]
    return state if result is None else result


def allowed(op: Op, state: State) -> bool:
    return (op, state) in _TABLE
