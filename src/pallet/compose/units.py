"""Sizes, durations, CPU counts and file modes of one service parsed to the model's units.

Sizes (``512m``, ``1g``, ``"1073741824"``) become bytes with Docker's binary units;
durations (``1m30s``, ``10s``; plus ``d`` and ``w`` as Compose v2 accepts) nanoseconds;
``cpus`` a float; file modes (``0440`` or ``"0440"``) ints. ``mem_limit`` and ``cpus`` may
repeat ``deploy.resources.limits``, but not with another value (Compose v2's rule).
"""

from __future__ import annotations

import re
from typing import Any

from pallet.compose.errors import ComposeError
from pallet.compose.yamlsrc import Marks, Path
from pallet.errors import InvalidArgument
from pallet.notation.durations import parse_duration
from pallet.notation.sizes import parse_memory

_SIZES = ("mem_limit", "mem_reservation", "memswap_limit", "shm_size")
_DURATIONS = ("stop_grace_period",)
_HEALTH = ("interval", "timeout", "start_period", "start_interval")
_DAYS = re.compile(r"(\d+(?:\.\d*)?)([dw])")


def size(value: Any) -> int:
    if isinstance(value, bool):
        raise InvalidArgument(f"invalid size: '{value}'")
    if isinstance(value, int):
        return value
    return parse_memory(str(value))


def duration(value: Any) -> int:
    text = str(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and value != 0:
        raise InvalidArgument(f'time: missing unit in duration "{text}"')

    def days(m: re.Match[str]) -> str:
        hours = float(m.group(1)) * (24 if m.group(2) == "d" else 168)
        return f"{hours:g}h"

    return parse_duration(_DAYS.sub(days, text))


def mode(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value), 8)
    except ValueError:
        raise InvalidArgument(f"invalid file mode {value!r}") from None


def cpus(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidArgument(f"failed to parse {value} as a rational number") from None


def convert_units(svc: dict[str, Any], at: Path, marks: Marks, checks: bool = True) -> None:
    """Parse the unit-bearing fields of ``svc`` (a canonical service) in place."""

    def conv(obj: Any, key: str, fn: Any, path: Path) -> None:
        if isinstance(obj, dict) and obj.get(key) is not None:
            try:
                obj[key] = fn(obj[key])
            except InvalidArgument as err:
                label = ".".join(str(p) for p in (*at, *path, key))
                raise ComposeError(f"{label}: {err.message}",
                                   marks.where((*at, *path, key))) from None

    for key in _SIZES:
        conv(svc, key, size, ())
    for key in _DURATIONS:
        conv(svc, key, duration, ())
    conv(svc, "cpus", cpus, ())
    for key in _HEALTH:
        conv(svc.get("healthcheck"), key, duration, ("healthcheck",))
    build = svc.get("build")
    conv(build, "shm_size", size, ("build",))
    deploy = svc.get("deploy") or {}
    resources = deploy.get("resources") or {}
    for part in ("limits", "reservations"):
        conv(resources.get(part), "memory", size, ("deploy", "resources", part))
        conv(resources.get(part), "cpus", cpus, ("deploy", "resources", part))
    for key in ("delay", "window"):
        conv(deploy.get("restart_policy"), key, duration, ("deploy", "restart_policy"))
    for part in ("update_config", "rollback_config"):
        for key in ("delay", "monitor"):
            conv(deploy.get(part), key, duration, ("deploy", part))
    for i, mount in enumerate(svc.get("volumes") or []):
        if isinstance(mount, dict):
            conv(mount.get("tmpfs"), "size", size, ("volumes", i, "tmpfs"))
            conv(mount.get("tmpfs"), "mode", mode, ("volumes", i, "tmpfs"))
    for kind in ("secrets", "configs"):
        for i, ref in enumerate(svc.get(kind) or []):
            conv(ref, "mode", mode, (kind, i))
    for i, ref in enumerate((build or {}).get("secrets") or []):
        conv(ref, "mode", mode, ("build", "secrets", i))
    if checks:
        _agree(svc, resources, at, marks)


def _agree(svc: dict[str, Any], resources: dict[str, Any], at: Path, marks: Marks) -> None:
    pairs = (("cpus", "limits", "cpus"), ("mem_limit", "limits", "memory"),
             ("mem_reservation", "reservations", "memory"), ("pids_limit", "limits", "pids"))
    for own, part, key in pairs:
        mine = svc.get(own)
        theirs = (resources.get(part) or {}).get(key)
        if mine is not None and theirs is not None and mine != theirs:
            raise ComposeError(
                f"services.{at[-1]}: can't set distinct values on '{own}' and "
                f"'deploy.resources.{part}.{key}'", marks.where((*at, own)))
