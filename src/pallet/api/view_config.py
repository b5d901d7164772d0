"""The container config as inspect shows it (Docker's ``container.Config``): the
``Config`` of ``GET /containers/{id}/json`` and the ``Config``/``ContainerConfig`` of
``GET /images/{name}/json``.

Fields are in dockerd's order. Go's ``omitempty`` fields (``ExposedPorts``,
``Healthcheck``, ``ArgsEscaped``, ``NetworkDisabled``, ``MacAddress``, ``StopSignal``,
``StopTimeout``, ``Shell``) are ``UNSET`` (absent) when not set; the others are always
there, ``null`` when empty.
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from pallet.api.models import Empty, HealthConfig


class ConfigView(msgspec.Struct):
    Hostname: str = ""
    Domainname: str = ""
    User: str = ""
    AttachStdin: bool = False
    AttachStdout: bool = False
    AttachStderr: bool = False
    ExposedPorts: dict[str, Empty] | UnsetType = UNSET
    Tty: bool = False
    OpenStdin: bool = False
    StdinOnce: bool = False
    Env: list[str] | None = None
    Cmd: list[str] | None = None
    Healthcheck: HealthConfig | UnsetType = UNSET
    ArgsEscaped: bool | UnsetType = UNSET
    Image: str = ""
    Volumes: dict[str, Empty] | None = None
    WorkingDir: str = ""
    Entrypoint: list[str] | None = None
    NetworkDisabled: bool | UnsetType = UNSET
    MacAddress: str | UnsetType = UNSET
    OnBuild: list[str] | None = None
    Labels: dict[str, str] | None = None
    StopSignal: str | UnsetType = UNSET
    StopTimeout: int | UnsetType = UNSET
    Shell: list[str] | UnsetType = UNSET
