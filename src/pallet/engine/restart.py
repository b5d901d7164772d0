"""Restart policies: the decision, as pure functions (no clock, no I/O).

Docker's rules (moby ``restartmanager``), which these functions implement:

- Policies: ``no``, ``always``, ``unless-stopped``, ``on-failure[:N]``; pallet adds
  ``on-unhealthy`` (restart like ``unless-stopped``, and also when the health check
  reports ``unhealthy``; the health plugin kills the container, the exit restarts it).
- A container stopped by hand (``stop``, ``kill`` with SIGKILL) is never restarted
  while the daemon runs, whatever the policy.
- ``always`` and ``unless-stopped`` (and ``on-unhealthy``) restart after any exit.
- ``on-failure`` restarts after a non-zero exit while ``restart_count < N``
  (``N == 0``: no limit).
- Delay before the restart: 100 ms, doubled after each restart, at most 1 minute;
  back to 100 ms when the container had run for 10 s or more.
- When the daemon starts: ``always`` containers that are not running are started
  (even those stopped by hand); ``unless-stopped`` and ``on-unhealthy`` only if they
  were not stopped by hand; ``on-failure`` if it would restart after its last exit.
- A user's ``start`` resets the restart count (the executor does that).
"""

from __future__ import annotations

from dataclasses import dataclass

from pallet.errors import InvalidArgument

POLICIES = ("no", "always", "unless-stopped", "on-failure", "on-unhealthy")
FIRST_DELAY = 0.1
MAX_DELAY = 60.0
RESET_AFTER = 10.0


@dataclass(frozen=True)
class Policy:
    name: str = "no"
    max_retries: int = 0

    @classmethod
    def of(cls, name: str | None, max_retries: int = 0) -> Policy:
        """Docker's ``RestartPolicy`` fields; ``""`` means ``no``; refuses unknown names."""
        name = name or "no"
        if name not in POLICIES:
            raise InvalidArgument(f"invalid restart policy '{name}'")
        if max_retries < 0:
            raise InvalidArgument("invalid restart policy: maximum retry count cannot be negative")
        if max_retries and name != "on-failure":
            raise InvalidArgument(
                f"invalid restart policy: maximum retry count can only be used with "
                f"'on-failure' (got '{name}')")
        return cls(name, max_retries)

    @property
    def restarts(self) -> bool:
        return self.name != "no"


def next_delay(previous: float | None, ran_for: float) -> float:
    """The backoff after an exit: doubles from 100 ms, capped, reset after 10 s of running."""
    if previous is None or previous <= 0 or ran_for >= RESET_AFTER:
        return FIRST_DELAY
    return min(previous * 2, MAX_DELAY)


def should_restart(policy: Policy, exit_code: int, manually_stopped: bool,
                   restart_count: int, ran_for: float,
                   previous_delay: float | None = None) -> float | None:
    """Seconds to wait before restarting, or None to leave the container exited.

    ``previous_delay`` is the delay used before the last restart (None: derive it
    from ``restart_count``, as if every earlier run had been short).
    """
    if manually_stopped or not policy.restarts:
        return None
    if policy.name == "on-failure":
        if exit_code == 0:
            return None
        if policy.max_retries and restart_count >= policy.max_retries:
            return None
    if previous_delay is None and restart_count > 0:
        previous_delay = min(FIRST_DELAY * 2 ** (restart_count - 1), MAX_DELAY)
    return next_delay(previous_delay, ran_for)


def restart_on_daemon_start(policy: Policy, exit_code: int, manually_stopped: bool,
                            restart_count: int) -> bool:
    """Whether a container that is not running is started when the daemon starts."""
    if policy.name == "always":
        return True
    if policy.name in ("unless-stopped", "on-unhealthy"):
        return not manually_stopped
    if policy.name == "on-failure":
        return not manually_stopped and exit_code != 0 and (
            not policy.max_retries or restart_count < policy.max_retries)
    return False
