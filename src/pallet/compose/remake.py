"""Networks and volumes whose configuration changed since they were made, as the planner
of ``up`` treats them (Compose v2's way): each carries the config hash of its document
(``com.docker.compose.config-hash``); a network whose label differs is made again with
its containers recreated on it, a volume only when the user agrees (``up -y`` or the
prompt), since its data goes, and its containers are made anew. Pure, like the planner.
"""

from __future__ import annotations

from pallet.compose.plan import (
    Desired,
    DesiredResource,
    Observed,
    ObservedContainer,
    Plan,
    Step,
    StepKind,
)


def diverged(desired: Desired, observed: Observed, volumes: bool) -> list[DesiredResource]:
    """The project's networks (or volumes) whose config hash label differs from the
    file's (an unlabelled one, made before labels, is taken as it is)."""
    have = observed.volume_hashes if volumes else observed.network_hashes
    return [r for r in (desired.volumes if volumes else desired.networks)
            if not r.external and r.config_hash and have.get(r.name, r.config_hash)
            != r.config_hash]


def remake(plan: Plan, desired: Desired, existing: dict[str, list[ObservedContainer]],
           order: list[str], chosen: list[DesiredResource],
           volumes: bool) -> dict[str, tuple[str, ...]]:
    """Networks or volumes to make again, as Compose v2 does: the containers on a network
    stop, those using a volume are removed (made anew later), then the network or volume
    is removed. Only when every service with containers using it is being brought up
    (``order``); ``existing``: the project's containers by service; key -> the removal
    step."""
    out: dict[str, tuple[str, ...]] = {}
    for res in chosen:
        users = [s.name for s in desired.services
                 if res.key in (s.volumes if volumes else s.networks)]
        if any(existing.get(u) for u in users if u not in order):
            continue
        before: list[str] = []
        for c in (c for u in users for c in existing.get(u, [])):
            stop = f"stop:{c.name}"
            stopping = stop in plan.ids()
            if not stopping and c.state in ("running", "paused", "restarting"):
                plan.add(Step(id=stop, kind="stop_container", service=c.service,
                              name=c.name, container=c.id, number=c.number))
                stopping = True
            after = (stop,) if stopping else ()
            if not volumes:
                before += after
                continue
            before.append(plan.add(Step(
                id=f"remove:{c.name}", kind="remove_container", service=c.service, name=c.name,
                container=c.id, number=c.number, after=after)))
        kind: StepKind = "remove_volume" if volumes else "remove_network"
        prefix = "rmvol" if volumes else "rmnet"
        out[res.key] = (plan.add(Step(id=f"{prefix}:{res.key}", kind=kind, name=res.name,
                                      key=res.key, after=tuple(before))),)
    return out
