"""The inspect documents the checklist grades, typed with the Engine API's own models.

A container's ``Config`` and ``HostConfig`` are ``pallet.api.models``' ``ContainerConfig``
and ``HostConfig`` (the create body's shapes, which inspect echoes); the few fields inspect
adds (``Mounts``, ``State.Health``, an image's ``RepoTags``, ``Size``, ``RootFS``) are
declared here. Documents from palletd or dockerd decode alike; unknown fields are ignored.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from pallet.api.gojson import fold
from pallet.api.models import ContainerConfig, HostConfig
from pallet.errors import DataCorruption

T = TypeVar("T")


class Mount(msgspec.Struct):
    Source: str = ""
    Destination: str = ""


class Health(msgspec.Struct):
    Status: str = ""


class State(msgspec.Struct):
    Running: bool = False
    Health: Health | None = None


class ContainerView(msgspec.Struct):
    Id: str = ""
    Name: str = ""
    Config: ContainerConfig = msgspec.field(default_factory=ContainerConfig)
    HostConfig: HostConfig = msgspec.field(default_factory=HostConfig)
    Mounts: list[Mount] | None = None
    State: State = msgspec.field(default_factory=State)


class RootFS(msgspec.Struct):
    Layers: list[str] | None = None


class ImageView(msgspec.Struct):
    Id: str = ""
    RepoTags: list[str] | None = None
    Size: int = 0
    Config: ContainerConfig = msgspec.field(default_factory=ContainerConfig)
    RootFS: RootFS = msgspec.field(default_factory=RootFS)


def _convert(doc: dict[str, Any], into: type[T]) -> T:
    """Go's rules, as the daemon reads bodies: any key case, a null is the default."""
    try:
        return msgspec.convert(fold(doc, into), into)
    except msgspec.ValidationError as e:
        raise DataCorruption(f"unexpected inspect document: {e}") from None


def container_view(doc: dict[str, Any]) -> ContainerView:
    return _convert(doc, ContainerView)


def image_view(doc: dict[str, Any]) -> ImageView:
    return _convert(doc, ImageView)
