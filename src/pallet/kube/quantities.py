"""Values in Kubernetes' spelling: object names, CPU and memory quantities, probe seconds.

Kubernetes object names are DNS-1123 labels (lower case, digits and ``-``, at most 63);
compose names may hold ``_`` and ``.``, so :func:`dns_name` folds them. CPU counts become
millicores (``0.5`` -> ``500m``), byte counts binary-suffixed quantities where exact
(``536870912`` -> ``512Mi``), nanosecond durations whole seconds of at least one (a probe
cannot run more often than once a second).
"""

from __future__ import annotations

import re

_NOT_DNS = re.compile(r"[^a-z0-9-]+")
_SUFFIXES = (("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10))
NS = 1_000_000_000


def dns_name(name: str) -> str:
    """``my_project.db`` -> ``my-project-db``: a DNS-1123 label Kubernetes accepts."""
    folded = _NOT_DNS.sub("-", name.lower()).strip("-")[:63].rstrip("-")
    return folded or "x"


def cpu(cpus: float) -> str:
    """``0.5`` -> ``500m``; whole counts stay whole (``2``)."""
    milli = max(1, round(cpus * 1000))
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


def memory(size: int) -> str:
    """Bytes as a quantity: the largest exact binary suffix, else plain bytes."""
    for suffix, unit in _SUFFIXES:
        if size >= unit and size % unit == 0:
            return f"{size // unit}{suffix}"
    return str(size)


def seconds(ns: int | None, default: int) -> int:
    """A duration in whole seconds for a probe field (at least 1); ``default`` when unset."""
    if ns is None or ns <= 0:
        return default
    return max(1, -(-ns // NS))
