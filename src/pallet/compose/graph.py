"""The dependency graph of services: what a set of services needs with it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def with_dependencies(names: Iterable[str], deps: Mapping[str, Iterable[str]]) -> set[str]:
    """``names`` and, transitively, the services they depend on (``deps`` maps a service to
    its dependencies; a dependency that is not a key of ``deps`` is left out)."""
    chosen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in chosen:
            continue
        chosen.add(name)
        todo.extend(d for d in deps.get(name, ()) if d in deps)
    return chosen
