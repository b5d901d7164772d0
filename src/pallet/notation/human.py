"""Human forms Docker prints: ``5 seconds ago``, ``Up 3 seconds``, ``Exited (0) 2
minutes ago`` (go-units HumanDuration). Shared by the CLI and the daemon's views."""

from __future__ import annotations


def human_duration(seconds: float) -> str:
    """go-units ``HumanDuration``."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = round(seconds / 3600)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


def ago(then: float, now: float) -> str:
    """``5 seconds ago`` for a unix time ``then``."""
    return human_duration(max(0.0, now - then)) + " ago"


def container_status(
    state: str,
    *,
    now: float,
    started: float = 0.0,
    finished: float = 0.0,
    exit_code: int = 0,
    health: str = "",
) -> str:
    """The ``Status`` column of ``docker ps`` for a container state."""
    if state in ("running", "paused"):
        text = "Up " + human_duration(max(0.0, now - started))
        if state == "paused":
            return text + " (Paused)"
        if health == "starting":
            return text + " (health: starting)"
        if health in ("healthy", "unhealthy"):
            return f"{text} ({health})"
        return text
    if state == "restarting":
        return f"Restarting ({exit_code}) {ago(finished, now)}"
    if state == "created":
        return "Created"
    if state == "removing":
        return "Removal In Progress"
    if state == "dead":
        return "Dead"
    if state == "exited":
        if not finished:
            return f"Exited ({exit_code})"
        return f"Exited ({exit_code}) {ago(finished, now)}"
    return state.capitalize()
