"""The compose planner: desired services + observed objects + options -> a plan.

Pure (no I/O, no clock). ``up`` creates the missing networks and volumes, then per
service in dependency order keeps, recreates (its config hash changed, or forced),
scales and starts containers; a service starts only after the services it depends on
have started and met their ``depends_on`` condition. The dependency order and the start
steps are shared with :mod:`pallet.compose.stopplan` (``down``, ``stop``, ``start``).
"""

from __future__ import annotations

from collections.abc import Iterable

from pallet.compose import labels
from pallet.compose.graph import with_dependencies
from pallet.compose.plan import (
    Desired,
    DesiredResource,
    DesiredService,
    Observed,
    ObservedContainer,
    Plan,
    Recreate,
    Step,
    StepKind,
    UpOptions,
)
from pallet.compose.remake import diverged, remake
from pallet.errors import InvalidArgument, NotFound

ORPHANS = ("Found orphan containers ({names}) for this project. If you removed or renamed "
           "this service in your compose file, you can run this command with the "
           "--remove-orphans flag to clean it up.")


def dependency_order(services: Iterable[DesiredService]) -> list[str]:
    """Service names, each after everything it depends on (ties by name); a cycle or
    a required dependency on an unknown service is an error."""
    by_name = {s.name: s for s in services}
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join([*path[path.index(name):], name])
            raise InvalidArgument(f"dependency cycle detected: {cycle}")
        state[name] = 1
        for dep, cfg in sorted(by_name[name].depends_on.items()):
            if dep in by_name:
                visit(dep, [*path, name])
            elif cfg.required:
                raise InvalidArgument(f"service {name!r} depends on undefined service {dep!r}")
        state[name] = 2
        order.append(name)

    for name in sorted(by_name):
        visit(name, [])
    return order


def select(desired: Desired, names: Iterable[str], with_deps: bool = True) -> set[str]:
    """The services a command acts on: the named ones (all when none) and, unless
    ``with_deps`` is off, everything they depend on."""
    by_name = {s.name: s for s in desired.services}
    wanted = list(names) or list(by_name)
    for name in wanted:
        if name not in by_name:
            raise NotFound(f"no such service: {name}")
    if not with_deps:
        return set(wanted)
    return with_dependencies(wanted, {n: s.depends_on for n, s in by_name.items()})


def by_service(observed: Observed) -> dict[str, list[ObservedContainer]]:
    out: dict[str, list[ObservedContainer]] = {}
    for c in observed.containers:
        if not c.oneoff:
            out.setdefault(c.service, []).append(c)
    for group in out.values():
        group.sort(key=lambda c: (c.number, c.name))
    return out


def _resources(plan: Plan, kind: str, wanted: list[DesiredResource],
               present: list[str], after: dict[str, tuple[str, ...]] | None = None
               ) -> dict[str, str]:
    """Steps creating the missing networks or volumes (those in ``after`` once the
    steps named there are done); key -> step id (or "")."""
    steps: dict[str, str] = {}
    for res in wanted:
        if res.name in present and res.key not in (after or {}):
            steps[res.key] = ""
        elif res.external:
            raise NotFound(f"{kind} {res.name} declared as external, but could not be found")
        else:
            step_kind: StepKind = "create_network" if kind == "network" else "create_volume"
            steps[res.key] = plan.add(Step(id=f"{kind}:{res.key}", kind=step_kind,
                                           name=res.name, key=res.key,
                                           after=(after or {}).get(res.key, ())))
    return steps


def _scale(svc: DesiredService, opts: UpOptions) -> int:
    scale = opts.scale.get(svc.name, svc.scale)
    if scale > 1 and svc.container_name:
        raise InvalidArgument(
            f'The "{svc.name}" service is using the custom container name '
            f'"{svc.container_name}". Docker requires each container to have a unique name. '
            "Remove the custom name to scale the service")
    return scale


def _must_recreate(c: ObservedContainer, svc: DesiredService, policy: Recreate) -> bool:
    if policy == "force":
        return True
    if policy == "never":
        return False
    return c.config_hash != svc.config_hash


def plan_up(desired: Desired, observed: Observed, opts: UpOptions) -> Plan:
    """The plan that converges the project on ``desired`` (``up`` and ``create``)."""
    plan = Plan()
    by_name = {s.name: s for s in desired.services}
    chosen = select(desired, opts.services, with_deps=not opts.no_deps)
    order = [n for n in dependency_order(desired.services) if n in chosen]
    used_nets = {k for n in order for k in by_name[n].networks}
    used_vols = {k for n in order for k in by_name[n].volumes}
    existing = by_service(observed)
    remade = remake(plan, desired, existing, order,
                    [r for r in diverged(desired, observed, False) if r.key in used_nets], False)
    renewed = remake(plan, desired, existing, order,
                     [r for r in desired.volumes if r.key in set(opts.renew_volumes) & used_vols],
                     True)
    net_steps = _resources(plan, "network", [r for r in desired.networks if r.key in used_nets],
                           observed.networks, remade)
    vol_steps = _resources(plan, "volume", [r for r in desired.volumes if r.key in used_vols],
                           observed.volumes, renewed)
    made: dict[str, list[str]] = {}  # service -> create/recreate step ids
    to_start: dict[str, list[tuple[str, str, int]]] = {}  # service -> (container, name, number)
    running: dict[str, list[str]] = {}  # service -> stop step ids (restart: true dependents)

    for name in order:
        svc = by_name[name]
        policy = opts.recreate if (not opts.services or name in opts.services) \
            else opts.recreate_deps
        if remade.keys() & set(svc.networks):
            policy = "force"  # its network is made again
        infra = [s for s in [*(net_steps.get(k, "") for k in svc.networks),
                             *(vol_steps.get(k, "") for k in svc.volumes)] if s]
        deps_made = [i for d in svc.depends_on for i in made.get(d, [])]
        after = tuple(infra + deps_made)
        want = _scale(svc, opts)
        # a volume made again takes its containers with it: they are made anew
        have = [] if renewed.keys() & set(svc.volumes) else existing.get(name, [])
        keep = sorted(have, key=lambda c: (_must_recreate(c, svc, policy), c.number))[:want]
        keep.sort(key=lambda c: c.number)
        for c in have:
            if c not in keep:
                stop = f"stop:{c.name}"
                if stop not in plan.ids():
                    plan.add(Step(id=stop, kind="stop_container", service=name,
                                  name=c.name, container=c.id, number=c.number))
                plan.add(Step(id=f"remove:{c.name}", kind="remove_container", service=name,
                              name=c.name, container=c.id, number=c.number, after=(stop,)))
        made[name] = []
        starts = to_start.setdefault(name, [])
        for c in keep:
            if _must_recreate(c, svc, policy):
                cname = _name(desired.project, svc, c.number)
                own = (f"stop:{c.name}",) if f"stop:{c.name}" in plan.ids() else ()
                stops = _restart_stops(plan, by_name, order, name, existing, running)
                made[name].append(plan.add(Step(
                    id=f"recreate:{cname}", kind="recreate_container", service=name,
                    name=cname, container=c.id, number=c.number, after=after + own + stops)))
                starts.append(("", cname, c.number))
            elif c.state != "running":
                starts.append((c.id, c.name, c.number))
            elif f"stop:{c.name}" not in plan.ids():
                plan.running.append(c.name)
        next_number = max([c.number for c in have], default=0) + 1
        for i in range(want - len(keep)):
            number = next_number + i
            cname = _name(desired.project, svc, number)
            made[name].append(plan.add(Step(
                id=f"create:{cname}", kind="create_container", service=name, name=cname,
                number=number, after=after)))
            starts.append(("", cname, number))

    if opts.start:
        plan_starts(plan, desired, order, to_start, made, running)
    _orphans(plan, desired, observed, opts.remove_orphans)
    return plan


def _name(project: str, svc: DesiredService, number: int) -> str:
    return svc.container_name or labels.container_name(project, svc.name, number)


def _restart_stops(plan: Plan, by_name: dict[str, DesiredService], order: list[str],
                   dep: str, existing: dict[str, list[ObservedContainer]],
                   running: dict[str, list[str]]) -> tuple[str, ...]:
    """Stop the running containers of services that depend on ``dep`` with
    ``restart: true`` before ``dep`` is recreated (they start again afterwards)."""
    stops: list[str] = []
    for name in order:
        cfg = by_name[name].depends_on.get(dep)
        if cfg is None or not cfg.restart:
            continue
        for c in existing.get(name, []):
            step_id = f"stop:{c.name}"
            if c.state == "running" and step_id not in plan.ids():
                plan.add(Step(id=step_id, kind="stop_container", service=name, name=c.name,
                              container=c.id, number=c.number))
                running.setdefault(name, []).append(step_id)
            if step_id in plan.ids():
                stops.append(step_id)
    return tuple(stops)


def plan_starts(plan: Plan, desired: Desired, order: list[str],
                 to_start: dict[str, list[tuple[str, str, int]]],
                 made: dict[str, list[str]], stopped: dict[str, list[str]]) -> None:
    """Start steps, each service after its dependencies started and met their
    condition (a service with nothing to start waits for nothing)."""
    by_name = {s.name: s for s in desired.services}
    started: dict[str, list[str]] = {}
    for name in order:
        restarting = {s.removeprefix("stop:") for s in stopped.get(name, [])}
        entries = list(to_start.get(name, []))
        listed = {e[1] for e in entries}
        entries += [c for c in _containers_named(plan, name, restarting) if c[1] not in listed]
        started[name] = []
        if not entries:
            continue
        waits: list[str] = []
        for dep, cfg in sorted(by_name[name].depends_on.items()):
            if dep not in order:
                continue  # not part of this run (--no-deps, or not selected)
            if cfg.condition == "service_started":
                waits.extend(started[dep])
            elif by_name[dep].scale != 0:
                waits.append(plan.add(Step(
                    id=f"wait:{name}:{dep}", kind="wait_dependency", service=dep, name=name,
                    condition=cfg.condition, required=cfg.required,
                    after=tuple(started[dep]))))
        for container, cname, number in entries:
            mine = [m for m in made.get(name, []) if m.endswith(":" + cname)]
            own_stop = [f"stop:{cname}"] if cname in restarting else []
            started[name].append(plan.add(Step(
                id=f"start:{cname}", kind="start_container", service=name, name=cname,
                container=container, number=number, after=tuple(waits + mine + own_stop))))


def _containers_named(plan: Plan, service: str,
                      names: set[str]) -> list[tuple[str, str, int]]:
    return [(s.container, s.name, s.number) for s in plan.steps
            if s.kind == "stop_container" and s.service == service and s.name in names]


def _orphans(plan: Plan, desired: Desired, observed: Observed, remove: bool) -> None:
    known = {s.name for s in desired.services}
    orphans = [c for c in observed.containers if c.service not in known and not c.oneoff]
    if not orphans:
        return
    if not remove:
        plan.warnings.append(ORPHANS.format(names=", ".join(sorted(c.name for c in orphans))))
        return
    for c in orphans:
        stop = plan.add(Step(id=f"stop:{c.name}", kind="stop_container", service=c.service,
                             name=c.name, container=c.id, number=c.number))
        plan.add(Step(id=f"remove:{c.name}", kind="remove_container", service=c.service,
                      name=c.name, container=c.id, number=c.number, after=(stop,)))
