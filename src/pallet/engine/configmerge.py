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

from typing import Any

import msgspec

from pallet.api.models import ContainerConfig, CreateRequest, Empty, HealthConfig
from pallet.errors import InvalidArgument


def _env_key(entry: str) -> str:
    return entry.split("=", 1)[0]


def merge_env(base: list[str], override: list[str]) -> list[str]:
    out: dict[str, str] = {}
    for entry in [*base, *override]:
        out[_env_key(entry)] = entry
    return list(out.values())


def _health(value: Any) -> HealthConfig | None:
    if not value:
        return None
    return msgspec.convert(value, HealthConfig)


def _host_network(req: CreateRequest) -> bool:
    return req.HostConfig is not None and req.HostConfig.NetworkMode == "host"


def merge_config(req: CreateRequest, image_config: dict[str, Any], cid: str,
                 host_name: str = "") -> ContainerConfig:
    """The container's ``Config``: the request with the image's defaults filled in.

    ``host_name``: the name a ``--network host`` container gets when none is asked for.
    """
    img = image_config.get("config") or image_config.get("Config") or {}
    if req.Entrypoint is not None:
        entrypoint = [a for a in req.Entrypoint if a != ""] or None
        cmd = req.Cmd
    else:
        entrypoint = img.get("Entrypoint") or None
        cmd = req.Cmd if req.Cmd else img.get("Cmd")
    labels = {**(img.get("Labels") or {}), **(req.Labels or {})}
    exposed = {**dict.fromkeys(img.get("ExposedPorts") or {}, Empty()), **(req.ExposedPorts or {})}
    volumes = {**dict.fromkeys(img.get("Volumes") or {}, Empty()), **(req.Volumes or {})}
    return ContainerConfig(
        Hostname=req.Hostname or (host_name if _host_network(req) and host_name else cid[:12]),
        Domainname=req.Domainname,
        User=req.User or img.get("User") or "",
        AttachStdin=req.AttachStdin,
        AttachStdout=req.AttachStdout,
        AttachStderr=req.AttachStderr,
        ExposedPorts=exposed or None,
        Tty=req.Tty,
        OpenStdin=req.OpenStdin,
        StdinOnce=req.StdinOnce,
        Env=merge_env(list(img.get("Env") or []), list(req.Env or [])),
        Cmd=list(cmd) if cmd else None,
        Healthcheck=req.Healthcheck or _health(img.get("Healthcheck")),
        ArgsEscaped=req.ArgsEscaped,
        Image=req.Image,
        Volumes=volumes or None,
        WorkingDir=req.WorkingDir or img.get("WorkingDir") or "",
        Entrypoint=list(entrypoint) if entrypoint else None,
        NetworkDisabled=req.NetworkDisabled,
        MacAddress=req.MacAddress,
        OnBuild=img.get("OnBuild"),
        Labels=labels,
        StopSignal=req.StopSignal or img.get("StopSignal"),
        StopTimeout=req.StopTimeout,
        Shell=req.Shell or img.get("Shell"),
    )


def process_args(config: ContainerConfig) -> list[str]:
    """Entrypoint + Cmd; refuses an empty command as dockerd does."""
    args = [*(config.Entrypoint or []), *(config.Cmd or [])]
    if not args:
        raise InvalidArgument("no command specified")
    return args
