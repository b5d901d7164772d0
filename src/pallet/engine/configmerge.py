"""Merge an image's config into a create request, as dockerd does (pure).

Rules:
- An ``Entrypoint`` in the request replaces the image's, and then the image's
  ``Cmd`` is not used; ``[""]`` or ``[]`` clears the entrypoint.
- ``Cmd`` from the request replaces the image's.
- ``Env`` is the image's with the request's entries overriding by key.
- ``Labels``, ``ExposedPorts`` and ``Volumes`` are unions, the request winning.
- ``WorkingDir``, ``User``, ``StopSignal``, ``Healthcheck``, ``Shell`` fall back
  to the image's; the hostname defaults to the short container ID.
"""

from __future__ import annotations

import copy
from typing import TypeVar

from msgspec import UnsetType

from pallet.api.models import ContainerConfig, CreateRequest, HealthConfig
from pallet.api.view_config import ConfigView
from pallet.errors import InvalidArgument

T = TypeVar("T")


def _env_key(entry: str) -> str:
    return entry.split("=", 1)[0]


def merge_env(base: list[str], override: list[str]) -> list[str]:
    out: dict[str, str] = {}
    for entry in [*base, *override]:
        out[_env_key(entry)] = entry
    return list(out.values())


def _host_network(req: CreateRequest) -> bool:
    return req.HostConfig is not None and req.HostConfig.NetworkMode == "host"


def _given(value: T | UnsetType) -> T | None:
    """An omitempty field of the image's config, ``None`` when absent; a copy, as the
    image's typed config is shared by every container made from it."""
    return None if isinstance(value, UnsetType) else copy.deepcopy(value)


def merge_config(req: CreateRequest, img: ConfigView, cid: str,
                 host_name: str = "") -> ContainerConfig:
    """The container's ``Config``: the request with the image's defaults (``img``, the
    image config's ``config`` object) filled in.

    ``host_name``: the name a ``--network host`` container gets when none is asked for.
    """
    if req.Entrypoint is not None:
        entrypoint = [a for a in req.Entrypoint if a != ""] or None
        cmd = req.Cmd
    else:
        entrypoint = img.Entrypoint or None
        cmd = req.Cmd if req.Cmd else img.Cmd
    labels = {**(img.Labels or {}), **(req.Labels or {})}
    exposed = {**(_given(img.ExposedPorts) or {}), **(req.ExposedPorts or {})}
    volumes = {**(img.Volumes or {}), **(req.Volumes or {})}
    health = _given(img.Healthcheck)
    return ContainerConfig(
        Hostname=req.Hostname or (host_name if _host_network(req) and host_name else cid[:12]),
        Domainname=req.Domainname,
        User=req.User or img.User,
        AttachStdin=req.AttachStdin,
        AttachStdout=req.AttachStdout,
        AttachStderr=req.AttachStderr,
        ExposedPorts=exposed or None,
        Tty=req.Tty,
        OpenStdin=req.OpenStdin,
        StdinOnce=req.StdinOnce,
        Env=merge_env(list(img.Env or []), list(req.Env or [])),
        Cmd=list(cmd) if cmd else None,
        Healthcheck=req.Healthcheck or (health if health != HealthConfig() else None),
        ArgsEscaped=req.ArgsEscaped,
        Image=req.Image,
        Volumes=volumes or None,
        WorkingDir=req.WorkingDir or img.WorkingDir,
        Entrypoint=list(entrypoint) if entrypoint else None,
        NetworkDisabled=req.NetworkDisabled,
        MacAddress=req.MacAddress,
        OnBuild=list(img.OnBuild) if img.OnBuild is not None else None,
        Labels=labels,
        StopSignal=req.StopSignal or _given(img.StopSignal),
        StopTimeout=req.StopTimeout,
        Shell=req.Shell or _given(img.Shell),
    )


def process_args(config: ContainerConfig) -> list[str]:
    """Entrypoint + Cmd; refuses an empty command as dockerd does."""
    args = [*(config.Entrypoint or []), *(config.Cmd or [])]
    if not args:
        raise InvalidArgument("no command specified")
    return args
