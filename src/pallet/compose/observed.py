"""What the engine holds of a project, read through its Compose labels: the planner's
:class:`~pallet.compose.plan.Observed`, and for a project known only by name (no
compose file), the :class:`~pallet.compose.plan.Desired` its containers, networks and
volumes describe.
"""

from __future__ import annotations

from typing import Any

from pallet.compose import labels
from pallet.compose.desired import from_labels
from pallet.compose.engine import Engine
from pallet.compose.plan import Desired, DesiredResource, Observed, ObservedContainer


def container(doc: dict[str, Any]) -> ObservedContainer:
    """A ``GET /containers/json`` item as the planner sees it."""
    lab = doc.get("Labels") or {}
    names = doc.get("Names") or [""]
    state = doc.get("State")
    if isinstance(state, dict):  # an inspect document
        state = state.get("Status", "")
    return ObservedContainer(
        id=str(doc.get("Id", "")), name=str(names[0]).lstrip("/"),
        service=lab.get(labels.SERVICE, ""), number=labels.number_of(lab),
        state=str(state or ""), config_hash=lab.get(labels.CONFIG_HASH, ""),
        oneoff=labels.is_oneoff(lab))


def observe(engine: Engine, project: str) -> Observed:
    """The project's containers, and every network and volume name on the engine
    (external ones belong to no project)."""
    from pallet.compose.threads import background

    docs = background(lambda: engine.containers(project))
    nets = background(engine.network_hashes)
    vols = background(engine.volume_hashes)
    net_hashes, vol_hashes = nets.result(), vols.result()
    return Observed(containers=[container(d) for d in docs.result()],
                    networks=list(net_hashes), volumes=list(vol_hashes),
                    network_hashes={n: h for n, h in net_hashes.items() if h},
                    volume_hashes={n: h for n, h in vol_hashes.items() if h})


def desired_from_engine(engine: Engine, project: str) -> Desired:
    """A project rebuilt from its labels, as Compose v2 does for ``-p NAME`` alone."""
    base = from_labels(project, [d.get("Labels") or {} for d in engine.containers(project)])
    nets = [_resource(n, labels.NETWORK) for n in engine.project_networks(project)]
    vols = [_resource(v, labels.VOLUME) for v in engine.project_volumes(project)]
    return Desired(project, base.services, nets, vols, complete=False)


def _resource(doc: dict[str, Any], label: str) -> DesiredResource:
    name = str(doc.get("Name", ""))
    return DesiredResource(str((doc.get("Labels") or {}).get(label, name)), name)
