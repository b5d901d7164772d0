"""What the converter needs from outside: the images' facts and the secrets' and configs'
content for a compose project, and running containers read back as a compose project.

A container is turned into the compose :class:`~pallet.compose.model.Service` it could have
come from (its own settings only: the image's environment is left to the image), so one
converter serves ``pallet kube generate CONTAINER...`` and ``--compose``. Everything here
reads through :class:`pallet.client.Client` and the filesystem; the converter stays pure.
"""

from __future__ import annotations

import os
from typing import Any, TypeVar

from msgspec import UnsetType

from pallet.api.models import HealthConfig
from pallet.api.view_config import ConfigView, decode_config
from pallet.client import Client
from pallet.compose.model import (
    Healthcheck,
    Mount,
    Port,
    Project,
    Resource,
    Resources,
    Service,
    ServiceNetwork,
    TmpfsOptions,
    Volume,
)
from pallet.errors import InvalidArgument, NotFound
from pallet.kube.podspec import ImageFacts

DEFAULT_NETWORKS = ("bridge", "default")
T = TypeVar("T")


def image_facts(client: Client, images: list[str], warn: list[str]) -> dict[str, ImageFacts]:
    """``EXPOSE`` ports and ``HEALTHCHECK`` of each image the engine has."""
    out: dict[str, ImageFacts] = {}
    for name in sorted(set(images)):
        try:
            config = decode_config(client.images.inspect(name).get("Config"))
        except NotFound:
            warn.append(f"image {name}: not on the engine; its EXPOSE ports and HEALTHCHECK "
                        "are not carried over")
            continue
        out[name] = facts_of(config)
    return out


def facts_of(config: ConfigView) -> ImageFacts:
    exposed = []
    for spec in config.ExposedPorts or {}:
        port, _, proto = spec.partition("/")
        if port.isdigit():
            exposed.append((int(port), proto or "tcp"))
    return ImageFacts(tuple(sorted(exposed)), healthcheck_of(config.Healthcheck))


def healthcheck_of(hc: HealthConfig | UnsetType | None) -> Healthcheck | None:
    if not hc or not hc.Test:
        return None
    return Healthcheck(test=list(hc.Test), interval=hc.Interval or None,
                       timeout=hc.Timeout or None, retries=hc.Retries or None,
                       start_period=hc.StartPeriod or None,
                       start_interval=hc.StartInterval or None)


def file_contents(project: Project) -> dict[str, bytes]:
    """The content of each secret and config that comes from a file, a variable or inline."""
    out: dict[str, bytes] = {}
    for key, obj in {**(project.configs or {}), **(project.secrets or {})}.items():
        if obj.file:
            try:
                with open(obj.file, "rb") as f:
                    out[key] = f.read()
            except OSError as err:
                raise InvalidArgument(f"secret or config {key}: cannot read {obj.file}: "
                                      f"{err.strerror}") from None
        elif obj.environment:
            value = project.environment.get(obj.environment, os.environ.get(obj.environment))
            if value is not None:
                out[key] = value.encode()
        elif obj.content is not None:
            out[key] = obj.content.encode()
    return out


def containers_project(client: Client, refs: list[str], name: str) -> Project:
    """Containers as a compose project, one service each (named after the container)."""
    services: dict[str, Service] = {}
    volumes: dict[str, Volume] = {}
    for ref in refs:
        doc = client.containers.inspect(ref)
        image_config = decode_config(None)
        try:
            image_config = decode_config(client.images.inspect(
                doc.get("Image") or (doc.get("Config") or {}).get("Image", "")).get("Config"))
        except NotFound:
            pass
        svc = service_of(doc, image_config)
        services[svc.name] = svc
        for m in svc.volumes or []:
            if m.type == "volume" and m.source:
                volumes[m.source] = Volume(name=m.source, external=False)
    return Project(name=name, services=services, volumes=volumes or None)


def _own(mine: T, image: T) -> T | None:
    """The container's value of a config field, ``None`` where its image gives the same."""
    return mine if mine != image else None


def service_of(doc: dict[str, Any], image: ConfigView) -> Service:
    """One container's inspect document as the compose service that would make it: what
    it has of its own, not what its image's config (``image``) gives it anyway."""
    cfg = decode_config(doc.get("Config"))
    image_env = set(image.Env or [])
    exposed = _own(cfg.ExposedPorts, image.ExposedPorts)
    host = doc.get("HostConfig") or {}
    env = {k: v for k, _, v in (e.partition("=") for e in cfg.Env or []
                                if e not in image_env)}
    ports = [Port(target=int(spec.partition("/")[0]), protocol=spec.partition("/")[2] or "tcp",
                  published=(b or [{}])[0].get("HostPort") or None,
                  host_ip=(b or [{}])[0].get("HostIp") or None)
             for spec, b in sorted((host.get("PortBindings") or {}).items())]
    mounts = [_mount(m) for m in doc.get("Mounts") or []]
    tmpfs = [f"{path}:{opts}" if opts else path
             for path, opts in sorted((host.get("Tmpfs") or {}).items())]
    limits = Resource(cpus=host["NanoCpus"] / 1e9 if host.get("NanoCpus") else None,
                      memory=host.get("Memory") or None)
    reservations = Resource(memory=host.get("MemoryReservation") or None)
    deploy_res = Resources(limits=limits if limits != Resource() else None,
                           reservations=reservations if reservations != Resource() else None)
    mode = host.get("NetworkMode") or ""
    attached = (doc.get("NetworkSettings") or {}).get("Networks") or {}
    nets: dict[str, ServiceNetwork | None] = {n: ServiceNetwork() for n in attached
                                              if n not in DEFAULT_NETWORKS}
    restart = (host.get("RestartPolicy") or {}).get("Name") or None
    from pallet.compose.model import Deploy, Device

    return Service(
        name=doc.get("Name", "").lstrip("/"), image=cfg.Image or None,
        entrypoint=_own(cfg.Entrypoint, image.Entrypoint), command=_own(cfg.Cmd, image.Cmd),
        working_dir=_own(cfg.WorkingDir, image.WorkingDir) or None,
        user=_own(cfg.User, image.User) or None,
        environment=dict(sorted(env.items())) or None,
        expose=sorted(exposed or {}) or None,
        ports=ports or None,
        healthcheck=healthcheck_of(_own(cfg.Healthcheck, image.Healthcheck)),
        deploy=Deploy(resources=deploy_res) if deploy_res != Resources() else None,
        read_only=bool(host.get("ReadonlyRootfs")), privileged=bool(host.get("Privileged")),
        cap_add=host.get("CapAdd") or None, cap_drop=host.get("CapDrop") or None,
        security_opt=host.get("SecurityOpt") or None, volumes=mounts or None,
        tmpfs=tmpfs or None,
        devices=[Device(source=d.get("PathOnHost", ""), target=d.get("PathInContainer", ""))
                 for d in host.get("Devices") or []] or None,
        network_mode=mode if mode in ("host", "none") or mode.startswith("container:")
        else None,
        networks=nets or None, hostname=None,
        restart=restart if restart and restart != "no" else None,
        stdin_open=bool(_own(cfg.OpenStdin, image.OpenStdin)),
        tty=bool(_own(cfg.Tty, image.Tty)),
    )


def _mount(m: dict[str, Any]) -> Mount:
    kind = m.get("Type", "volume")
    if kind == "volume":
        return Mount(type="volume", source=m.get("Name"), target=m.get("Destination", ""),
                     read_only=not m.get("RW", True))
    if kind == "tmpfs":
        return Mount(type="tmpfs", target=m.get("Destination", ""), tmpfs=TmpfsOptions())
    return Mount(type=kind, source=m.get("Source"), target=m.get("Destination", ""),
                 read_only=not m.get("RW", True))
