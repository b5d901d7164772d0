"""The filters every prune takes: ``until`` (a time or a duration ago) and ``label`` /
``label!`` (``key`` or ``key=value``).

:func:`prune_filter` checks the keys and parses ``until`` when the request arrives, so a
bad value is a 400 even when there is nothing to prune, and returns a predicate over an
object's creation time and labels that says whether it may be pruned.
"""

from __future__ import annotations

import time

from pallet.errors import InvalidArgument
from pallet.notation.filters import Filters
from pallet.notation.times import parse_timestamp

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping

    Prunable = Callable[[float, Mapping[str, str]], bool]

PRUNE_KEYS = frozenset({"until", "label", "label!"})


def _has(labels: Mapping[str, str], spec: str) -> bool:
    key, sep, value = spec.partition("=")
    return key in labels and (not sep or labels[key] == value)


def prune_filter(filters: Filters, allowed: Collection[str] = PRUNE_KEYS) -> Prunable:
    """A predicate ``(created unix time, labels) -> may prune``; raises InvalidArgument."""
    for key in filters:
        if key not in allowed:
            raise InvalidArgument(f"invalid filter '{key}'")
    now = time.time()
    cutoffs = [float(parse_timestamp(v, now)) for v in filters.get("until", [])]
    cutoff = min(cutoffs) if cutoffs else None
    wanted, unwanted = filters.get("label", []), filters.get("label!", [])

    def prunable(created: float, labels: Mapping[str, str]) -> bool:
        if cutoff is not None and created >= cutoff:
            return False
        if not all(_has(labels, s) for s in wanted):
            return False
        return not any(_has(labels, s) for s in unwanted)

    return prunable
