"""The loaded project as the planner and the executor see it.

:func:`service_networks` gives a service's networks in Compose v2's order (the implicit
``default`` network when it names none and has no ``network_mode``), :func:`networks`
the project's networks with that implicit one added, and :func:`desired` the planner's
input: each service reduced to its replica count, dependencies, resources and config
hash. Pure.
"""

from __future__ import annotations

from pallet.compose import labels
from pallet.compose.confighash import ProjectHashes
from pallet.compose.model import Network, Project, Service, ServiceNetwork
from pallet.compose.plan import Dependency, Desired, DesiredResource, DesiredService

DEFAULT = "default"


def service_networks(service: Service) -> list[tuple[str, ServiceNetwork | None]]:
    """(key, attachment) by descending priority, then name; ``default`` when the
    service names none (and none at all with a ``network_mode``)."""
    if service.network_mode:
        return []
    nets = service.networks or {DEFAULT: None}
    return sorted(nets.items(),
                  key=lambda kv: (-((kv[1].priority or 0) if kv[1] else 0), kv[0]))


def networks(project: Project) -> dict[str, Network]:
    """The project's networks keyed as in the file, with ``default`` when a service
    uses it without the file declaring it."""
    nets = dict(project.networks or {})
    if DEFAULT not in nets and any(k == DEFAULT for s in project.services.values()
                                   for k, _ in service_networks(s)):
        nets[DEFAULT] = Network(name=labels.resource_name(project.name, DEFAULT))
    return nets


def volume_keys(project: Project, service: Service) -> list[str]:
    """The project volumes a service mounts (its named ``type: volume`` sources)."""
    declared = project.volumes or {}
    return sorted({m.source for m in service.volumes or []
                   if m.type == "volume" and m.source and m.source in declared})


def dependencies(service: Service) -> dict[str, Dependency]:
    deps: dict[str, Dependency] = {}
    for name, dep in (service.depends_on or {}).items():
        condition = dep.condition
        if condition not in ("service_healthy", "service_completed_successfully"):
            condition = "service_started"
        deps[name] = Dependency(condition, dep.restart, dep.required)  # type: ignore[arg-type]
    return deps


def desired(project: Project, hashes: bool = True) -> Desired:
    """The planner's view of ``project`` (config hashes only when ``hashes``: the
    commands that never recreate do without them)."""
    computed = ProjectHashes(project) if hashes else None
    config_hashes = computed.services if computed else {}
    net_hashes = computed.networks if computed else {}
    services = [
        DesiredService(
            name=name,
            config_hash=config_hashes.get(name, ""),
            scale=svc.replicas(),
            depends_on=dependencies(svc),
            container_name=svc.container_name or "",
            networks=[k for k, _ in service_networks(svc)],
            volumes=volume_keys(project, svc),
        )
        for name, svc in sorted(project.services.items())
    ]
    nets = [DesiredResource(k, n.name, n.external, net_hashes.get(k, ""))
            for k, n in sorted(networks(project).items())]
    vol_hashes = computed.volumes if computed else {}
    vols = [DesiredResource(k, v.name, v.external, vol_hashes.get(k, ""))
            for k, v in sorted((project.volumes or {}).items())]
    return Desired(project.name, services, nets, vols)


def from_labels(project: str, containers: list[dict[str, str]]) -> Desired:
    """A project known only from its containers' labels (``down -p NAME`` with no
    file): services and their ``depends_on``, as Compose v2 rebuilds it."""
    services: dict[str, DesiredService] = {}
    for lab in containers:
        name = lab.get(labels.SERVICE, "")
        if not name or name in services:
            continue
        deps: dict[str, Dependency] = {}
        for entry in filter(None, lab.get(labels.DEPENDS_ON, "").split(",")):
            dep, _, rest = entry.partition(":")
            condition, _, restart = rest.partition(":")
            if condition not in ("service_healthy", "service_completed_successfully"):
                condition = "service_started"
            deps[dep] = Dependency(condition, restart == "true", False)  # type: ignore[arg-type]
        services[name] = DesiredService(name, lab.get(labels.CONFIG_HASH, ""), depends_on=deps)
    return Desired(project, [services[n] for n in sorted(services)], complete=False)
