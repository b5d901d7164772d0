"""The container config as inspect shows it (Docker's ``container.Config``): the
``Config`` of ``GET /containers/{id}/json`` and the ``Config``/``ContainerConfig`` of
``GET /images/{name}/json``.

Fields are in dockerd's order. Go's ``omitempty`` fields (``ExposedPorts``,
``Healthcheck``, ``ArgsEscaped``, ``NetworkDisabled``, ``MacAddress``, ``StopSignal``,
``StopTimeout``, ``Shell``) are ``UNSET`` (absent) when not set; the others are always
there, ``null`` when empty.

:func:`decode_config` is the one reader of a stored image config's ``config`` object: the
image store, the views and the engine's create read its attributes, never its keys. It only
reads: the stored document (whose bytes are the image ID) is written as it was.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from pallet.api import gojson
from pallet.api.models import Empty, HealthConfig
from pallet.errors import DataCorruption


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


def decode_config(src: Any) -> ConfigView:
    """A stored config object (an image config's ``config``, ``{}`` when absent) read the way
    dockerd reads it with Go's rules: keys in any case, a ``null`` in an omitempty field is
    absent, a ``null`` in a port or volume set is ``{}``. A value of the wrong type is corrupt
    data."""
    try:
        return msgspec.convert(gojson.fold(src or {}, ConfigView), ConfigView, strict=False)
    except msgspec.ValidationError as exc:
        raise DataCorruption(f"the image's config is not a container config: {exc}") from None
