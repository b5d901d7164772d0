"""Whether a service's containers meet a ``depends_on`` condition (or ``up --wait``'s
"running or healthy"), judged from their inspect documents. Pure: the executor polls
the engine and asks this module what the answer means.

:func:`judge` answers ``DONE`` (met), ``WAIT`` (not yet) or raises
:class:`DependencyFailed` with Compose v2's message when it can no longer be met.
"""

from __future__ import annotations

from typing import Any

from pallet.errors import PalletError

DONE, WAIT = "done", "wait"


class DependencyFailed(PalletError):
    """A dependency that cannot reach its condition (exit code 1, as Compose v2)."""


def _name(doc: dict[str, Any]) -> str:
    return str(doc.get("Name", "")).lstrip("/") or str(doc.get("Id", ""))[:12]


def _state(doc: dict[str, Any]) -> dict[str, Any]:
    state = doc.get("State")
    return state if isinstance(state, dict) else {}


def healthy(doc: dict[str, Any], or_running: bool = False) -> str:
    """One container: healthy (or, with ``or_running``, running without a healthcheck)."""
    state = _state(doc)
    name = _name(doc)
    health = state.get("Health")
    status = str(state.get("Status", ""))
    if status in ("exited", "dead"):
        raise DependencyFailed(f"container {name} exited ({state.get('ExitCode', 0)})")
    if not isinstance(health, dict) or not health.get("Status"):
        if or_running:
            return DONE if status == "running" else WAIT
        raise DependencyFailed(f"container {name} has no healthcheck configured")
    if health["Status"] == "unhealthy":
        raise DependencyFailed(f"container {name} is unhealthy")
    return DONE if health["Status"] == "healthy" and status == "running" else WAIT


def completed(doc: dict[str, Any], service: str) -> str:
    state = _state(doc)
    if state.get("Status") != "exited":
        return WAIT
    code = int(state.get("ExitCode", 0) or 0)
    if code != 0:
        raise DependencyFailed(f"service {service!r} didn't complete successfully: exit {code}")
    return DONE


def judge(condition: str, service: str, docs: list[dict[str, Any]]) -> str:
    """``DONE`` when every container of ``service`` meets ``condition``."""
    if condition == "service_started":
        return DONE
    answers = []
    for doc in docs:
        if condition == "service_completed_successfully":
            answers.append(completed(doc, service))
        elif condition == "service_healthy":
            answers.append(healthy(doc))
        else:  # running_or_healthy (up --wait)
            answers.append(healthy(doc, or_running=True))
    return DONE if all(a == DONE for a in answers) else WAIT
