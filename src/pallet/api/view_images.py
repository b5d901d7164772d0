"""Image views of the Engine API as msgspec Structs: ``GET /images/json`` items
(:class:`ImageSummary`) and ``GET /images/{name}/json`` (:class:`ImageInspect`).

The field order is dockerd's, and every field is on the wire as dockerd writes it: a Go
``omitempty`` field is ``UNSET`` when empty (absent), any other field keeps its zero value
or ``null``. ``pallet.client`` decodes into the same Structs (every field has a default).
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from pallet.api.view_config import ConfigView


class GraphDriver(msgspec.Struct):
    Name: str = ""
    Data: dict[str, str] | None = None


class RootFS(msgspec.Struct):
    Type: str = "layers"
    Layers: list[str] | None = None


class ImageMetadata(msgspec.Struct):
    LastTagTime: str = "0001-01-01T00:00:00Z"


class ImageSummary(msgspec.Struct):
    """One item of ``GET /images/json`` (and of ``Images`` in ``GET /system/df``);
    ``SharedSize`` and ``Containers`` are -1 where they were not computed."""

    Id: str = ""
    ParentId: str = ""
    RepoTags: list[str] = msgspec.field(default_factory=list)
    RepoDigests: list[str] = msgspec.field(default_factory=list)
    Created: int = 0
    Size: int = 0
    SharedSize: int = -1
    VirtualSize: int = 0
    Labels: dict[str, str] = msgspec.field(default_factory=dict)
    Containers: int = -1


class ImageInspect(msgspec.Struct):
    """``GET /images/{name}/json``; ``Variant`` only when the image has one."""

    Id: str = ""
    RepoTags: list[str] = msgspec.field(default_factory=list)
    RepoDigests: list[str] = msgspec.field(default_factory=list)
    Parent: str = ""
    Comment: str = ""
    Created: str = ""
    DockerVersion: str = ""
    Author: str = ""
    Container: str = ""
    ContainerConfig: ConfigView = msgspec.field(default_factory=ConfigView)
    Config: ConfigView = msgspec.field(default_factory=ConfigView)
    Architecture: str = ""
    Variant: str | UnsetType = UNSET
    Os: str = ""
    Size: int = 0
    VirtualSize: int = 0
    GraphDriver: GraphDriver = msgspec.field(default_factory=GraphDriver)
    RootFS: RootFS = msgspec.field(default_factory=RootFS)
    Metadata: ImageMetadata = msgspec.field(default_factory=ImageMetadata)
