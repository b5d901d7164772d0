"""Plans that take a project down or bring stopped containers back: ``down`` (stop
dependents before their dependencies, remove containers, then the project's networks,
and its volumes, images and orphans when asked), ``stop``/``rm`` and ``start`` (stopped
containers in dependency order, waiting for each ``depends_on`` condition). Pure, like
:mod:`pallet.compose.planner`, whose ordering it shares.

A container to stop and remove takes one step (``stop_remove_container``: one forced
removal, which kills) when a stop would come to the same: it is not running, or the
grace period is 0 (``-t 0``: the stop signal is followed by SIGKILL at once).
"""

from __future__ import annotations

from pallet.compose.plan import (
    Desired,
    DownOptions,
    Observed,
    ObservedContainer,
    Plan,
    Step,
)
from pallet.compose.planner import by_service, dependency_order, plan_starts, select
from pallet.errors import NotFound


def _dependents_first(desired: Desired, chosen: set[str]) -> list[tuple[str, list[str]]]:
    """(service, the chosen services depending on it), dependents before dependencies."""
    order = [n for n in dependency_order(desired.services) if n in chosen]
    return [(n, [s.name for s in desired.services if n in s.depends_on and s.name in chosen])
            for n in reversed(order)]


STOPPED = ("exited", "created", "dead")


def plan_stop(desired: Desired, observed: Observed, services: list[str],
              remove: bool = False, timeout: int | None = None) -> Plan:
    """Stop (and with ``remove``, remove) the chosen services' containers,
    dependents first; ``timeout`` is the grace period given (-t)."""
    plan = Plan()
    existing = by_service(observed)
    chosen = _downward(desired, services)
    stops: dict[str, list[str]] = {}
    for name, dependents in _dependents_first(desired, chosen):
        after = tuple(i for d in dependents for i in stops.get(d, []))
        stops[name] = [_stop(plan, c, after, remove, timeout) for c in existing.get(name, [])]
    return plan


def _stop(plan: Plan, c: ObservedContainer, after: tuple[str, ...], remove: bool,
          timeout: int | None) -> str:
    """Add the steps that stop (and remove) ``c``; the id of the step that stops it."""
    if remove and (timeout == 0 or c.state in STOPPED):
        return plan.add(Step(id=f"remove:{c.name}", kind="stop_remove_container",
                             service=c.service, name=c.name, container=c.id,
                             number=c.number, after=after))
    stop = plan.add(Step(id=f"stop:{c.name}", kind="stop_container", service=c.service,
                         name=c.name, container=c.id, number=c.number, after=after))
    if remove:
        plan.add(Step(id=f"remove:{c.name}", kind="remove_container", service=c.service,
                      name=c.name, container=c.id, number=c.number, after=(stop,)))
    return stop


def _downward(desired: Desired, services: list[str]) -> set[str]:
    """The named services and every service that depends on them (all when none)."""
    chosen = set(services) or {s.name for s in desired.services}
    grew = True
    while grew:
        more = {s.name for s in desired.services if chosen.intersection(s.depends_on)}
        grew = not more <= chosen
        chosen |= more
    return chosen


def plan_down(desired: Desired, observed: Observed, opts: DownOptions) -> Plan:
    """Stop and remove the project's containers, then its networks (and with the
    options, its volumes, images and orphan containers)."""
    for name in opts.services:
        if name not in {s.name for s in desired.services}:
            raise NotFound(f"no such service: {name}")
    plan = plan_stop(desired, observed, opts.services, remove=True, timeout=opts.timeout)
    known = {s.name for s in desired.services}
    if opts.remove_orphans:
        for c in observed.containers:
            if c.service not in known or c.oneoff:
                _stop(plan, c, (), True, opts.timeout)
    if opts.services:
        return plan
    removals = [s for s in plan.steps if s.kind in ("remove_container", "stop_remove_container")]
    removed = tuple(s.id for s in removals)

    def users_gone(key: str, networks: bool) -> tuple[str, ...]:
        """The removals a network or volume waits for: its services' containers (and
        any orphan's) when the project says who uses it, else every removal."""
        if not desired.complete:
            return removed
        users = {s.name for s in desired.services
                 if key in (s.networks if networks else s.volumes)}
        return tuple(s.id for s in removals if s.service in users or s.service not in known)

    for net in desired.networks:
        if not net.external and net.name in observed.networks:
            plan.add(Step(id=f"rmnet:{net.key}", kind="remove_network", name=net.name,
                          key=net.key, after=users_gone(net.key, True)))
    if opts.volumes:
        for vol in desired.volumes:
            if not vol.external and vol.name in observed.volumes:
                plan.add(Step(id=f"rmvol:{vol.key}", kind="remove_volume", name=vol.name,
                              key=vol.key, after=users_gone(vol.key, False)))
    for image in opts.images:
        plan.add(Step(id=f"rmi:{image}", kind="remove_image", name=image, after=removed))
    return plan


def plan_start(desired: Desired, observed: Observed, services: list[str]) -> Plan:
    """Start the chosen services' stopped containers in dependency order, waiting
    for each ``depends_on`` condition."""
    plan = Plan()
    chosen = select(desired, services, with_deps=False)
    order = [n for n in dependency_order(desired.services) if n in chosen]
    existing = by_service(observed)
    to_start = {n: [(c.id, c.name, c.number) for c in existing.get(n, [])
                    if c.state != "running"] for n in order}
    plan_starts(plan, desired, order, to_start, {}, {})
    return plan


def restart_dependents(desired: Desired, services: list[str]) -> list[str]:
    """The services that follow a restart of ``services``: those whose ``depends_on``
    names one of them with ``restart: true``, transitively, in dependency order."""
    restarted = set(services)
    grew = True
    while grew:
        more = {s.name for s in desired.services
                if any(d in restarted and c.restart for d, c in s.depends_on.items())}
        grew = not more <= restarted
        restarted |= more
    return [n for n in dependency_order(desired.services)
            if n in restarted and n not in services]
