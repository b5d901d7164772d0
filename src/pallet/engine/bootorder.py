"""The order in which a daemon start brings containers back, and what each one waits for.

A container depends on the containers it links to (``--link name``), and a container of a
Compose project on the containers of the services named in the ``com.docker.compose.depends_on``
label Compose v2 writes (``service:condition:restart`` items, comma separated) within the same
project (``com.docker.compose.project``), matched by ``com.docker.compose.service``. The
condition says what the wait is for: ``service_started`` (the dependency was started),
``service_healthy`` (its health check passed) or ``service_completed_successfully`` (it exited
0). Compose v2 applies these only during ``up``; palletd applies them again when it starts
the containers a restart policy brings back (after a daemon restart or a host reboot).

Pure: container records in, dependencies and an order out. Only dependencies among the
containers being brought back count; a cycle is broken by keeping the edges that point to a
container earlier in the order.
"""

from __future__ import annotations

from dataclasses import dataclass

from pallet.engine.records import Container

PROJECT = "com.docker.compose.project"
SERVICE = "com.docker.compose.service"
DEPENDS_ON = "com.docker.compose.depends_on"
STARTED = "service_started"
HEALTHY = "service_healthy"
COMPLETED = "service_completed_successfully"


@dataclass(frozen=True)
class Dependency:
    id: str
    condition: str = STARTED


def parse_depends_on(value: str) -> list[tuple[str, str]]:
    """``db:service_healthy:false,redis:service_started:true`` -> [(service, condition)]."""
    out: list[tuple[str, str]] = []
    for item in value.split(","):
        parts = item.strip().split(":")
        if parts[0]:
            out.append((parts[0], parts[1] if len(parts) > 1 and parts[1] else STARTED))
    return out


def _links(c: Container) -> set[str]:
    """Names this container links to (``--link name:alias``)."""
    return {link.split(":", 1)[0].lstrip("/") for link in c.host_config.Links or []}


def dependencies(items: list[Container]) -> dict[str, list[Dependency]]:
    """Each container's dependencies among ``items`` (by container ID)."""
    by_name = {c.name: c for c in items}
    by_service: dict[tuple[str, str], list[Container]] = {}
    for c in items:
        labels = c.config.Labels or {}
        if labels.get(PROJECT) and labels.get(SERVICE):
            by_service.setdefault((labels[PROJECT], labels[SERVICE]), []).append(c)
    out: dict[str, list[Dependency]] = {}
    for c in items:
        deps: list[Dependency] = []
        labels = c.config.Labels or {}
        project = labels.get(PROJECT)
        if project:
            for service, condition in parse_depends_on(labels.get(DEPENDS_ON, "")):
                deps += [Dependency(d.id, condition)
                         for d in by_service.get((project, service), [])]
        deps += [Dependency(by_name[n].id) for n in sorted(_links(c)) if n in by_name]
        unique: dict[str, Dependency] = {}
        for d in deps:
            if d.id != c.id:
                unique.setdefault(d.id, d)  # a Compose condition wins over a plain link
        out[c.id] = list(unique.values())
    return out


def boot_plan(items: list[Container]) -> list[tuple[Container, list[Dependency]]]:
    """``items`` with each after its dependencies (stable by creation; cycles broken), each
    paired with the dependencies it waits for (only ones earlier in the order)."""
    deps = dependencies(items)
    by_id = {c.id: c for c in items}
    done: set[str] = set()
    order: list[Container] = []

    def visit(c: Container, path: frozenset[str]) -> None:
        if c.id in done or c.id in path:
            return
        for d in deps[c.id]:
            visit(by_id[d.id], path | {c.id})
        done.add(c.id)
        order.append(c)

    for c in sorted(items, key=lambda c: c.created_unix):
        visit(c, frozenset())
    position = {c.id: i for i, c in enumerate(order)}
    return [(c, [d for d in deps[c.id] if position[d.id] < position[c.id]]) for c in order]
