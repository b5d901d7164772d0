"""Interpolation of a whole compose document, and the type casts Compose v2 applies after it.

Every string value (never a key) goes through :func:`pallet.compose.template.substitute`.
A value that was a variable is a string afterwards, so, as Compose v2 does, a string where
the schema wants a number or a boolean is cast at its path (``ports[].target``,
``deploy.replicas``, ``read_only``, ``external`` ...), quoted in the file or not. Errors
name the dotted path and the ``file:line`` of the value.
"""

from __future__ import annotations

from typing import Any

from pallet.compose.errors import ComposeError
from pallet.compose.template import Lookup, substitute
from pallet.compose.yamlsrc import Marks, Override, Path

_S = "services.*."
_INT = {_S + p for p in (
    "cpu_count cpu_period cpu_quota cpu_rt_period cpu_rt_runtime cpu_shares oom_score_adj "
    "pids_limit scale deploy.replicas deploy.update_config.parallelism "
    "deploy.rollback_config.parallelism deploy.restart_policy.max_attempts "
    "deploy.placement.max_replicas_per_node healthcheck.retries ports.*.target ulimits.* "
    "ulimits.*.hard ulimits.*.soft").split()}
_FLOAT = {_S + p for p in (
    "cpu_percent cpus deploy.update_config.max_failure_ratio "
    "deploy.rollback_config.max_failure_ratio").split()}
_BOOL = {_S + p for p in (
    "init depends_on.*.required depends_on.*.restart healthcheck.disable oom_kill_disable "
    "privileged read_only stdin_open tty volumes.*.read_only volumes.*.volume.nocopy").split()}
_BOOL |= {f"{kind}.*.{key}" for kind in ("networks", "volumes", "secrets", "configs")
          for key in ("external",)}
_BOOL |= {f"networks.*.{key}" for key in ("internal", "attachable", "enable_ipv4",
                                          "enable_ipv6")}


_ALL = _INT | _FLOAT | _BOOL


def _matches(path: Path, pattern: str) -> bool:
    parts = pattern.split(".")
    return len(parts) == len(path) and all(
        p == "*" or p == str(k) for p, k in zip(parts, path, strict=True))


def _cast(value: str, path: Path) -> Any:
    if path[:1] not in (("services",), ("networks",), ("volumes",), ("secrets",),
                        ("configs",)) or not any(_matches(path, p) for p in _ALL):
        return value
    try:
        if any(_matches(path, p) for p in _INT):
            return int(value, 10)
        if any(_matches(path, p) for p in _FLOAT):
            return float(value)
    except ValueError:
        return value  # left for the schema to name
    lowered = value.lower()
    if lowered in ("true", "y", "yes", "on"):
        return True
    if lowered in ("false", "n", "no", "off"):
        return False
    return value


def dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)


def interpolate(doc: Any, lookup: Lookup, marks: Marks, prefix: Path = (),
                missing: list[str] | None = None) -> Any:
    """``doc`` with every string value substituted and cast (a new tree)."""

    def walk(value: Any, path: Path) -> Any:
        if isinstance(value, str):
            try:
                text = substitute(value, lookup, missing)
            except ComposeError as err:
                raise ComposeError(f"{dotted(path)}: {err.detail}",
                                   marks.where(prefix + path)) from None
            return _cast(text, path)  # quoted or not, as Compose v2 casts
        if isinstance(value, dict):
            return {k: walk(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, Override):
            return Override(walk(value.value, path))
        return value

    return walk(doc, ())
