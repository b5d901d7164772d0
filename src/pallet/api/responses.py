"""Engine API answers as msgspec Structs (the v1.44 swagger definitions).

The shapes a caller reads fields of: create answers, network and volume documents,
prune reports, the disk-usage summary, resource-usage stats, the registry login
answer. Field names are the wire names, so ``net.Containers`` reads like the
swagger; every field has
Docker's zero value as its default and unknown fields are ignored, so an older or
newer daemon's document still decodes. ``pallet.client`` decodes into these; the
daemon's views may encode them (both sides import ``pallet.api``).
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from pallet.api.view_containers import ContainerSummary
from pallet.api.view_images import ImageSummary
from pallet.api.view_volumes import Volume


class IdResponse(msgspec.Struct):
    """``{"Id": ...}``: ``POST /commit``, ``POST /exec`` and friends."""

    Id: str = ""


class NetworkCreateResponse(msgspec.Struct):
    Id: str = ""
    Warning: str = ""


class ContainersPruned(msgspec.Struct):
    ContainersDeleted: list[str] | None = None
    SpaceReclaimed: int = 0


class ImageDeleted(msgspec.Struct, omit_defaults=True):
    """One line of ``DELETE /images/{name}`` and of the images prune report."""

    Untagged: str = ""
    Deleted: str = ""


class ImagesPruned(msgspec.Struct):
    ImagesDeleted: list[ImageDeleted] | None = None
    SpaceReclaimed: int = 0


class NetworksPruned(msgspec.Struct):
    NetworksDeleted: list[str] | None = None


class VolumesPruned(msgspec.Struct):
    VolumesDeleted: list[str] | None = None
    SpaceReclaimed: int = 0


class BuildCachePruned(msgspec.Struct):
    CachesDeleted: list[str] | None = None
    SpaceReclaimed: int = 0


class FilesystemChange(msgspec.Struct):
    """One item of ``GET /containers/{id}/changes`` (Kind 0 modified, 1 added, 2 deleted)."""

    Path: str = ""
    Kind: int = 0


class ContainerTop(msgspec.Struct):
    Titles: list[str] | None = None
    Processes: list[list[str]] | None = None


class UpdateResponse(msgspec.Struct):
    """``POST /containers/{id}/update``."""

    Warnings: list[str] | None = None


class AuthResponse(msgspec.Struct):
    """``POST /auth``."""

    Status: str = ""
    IdentityToken: str = ""


class BuildCacheRecord(msgspec.Struct):
    ID: str = ""
    Parent: str = ""
    Parents: list[str] | None = None
    Type: str = ""
    Description: str = ""
    InUse: bool = False
    Shared: bool = False
    Size: int = 0
    CreatedAt: str = ""
    LastUsedAt: str | None = None
    UsageCount: int = 0


class DiskUsage(msgspec.Struct):
    """``GET /system/df``: the images, containers and volumes are their list items
    (wire documents; ``pallet system df`` prints them)."""

    LayersSize: int = 0
    Images: list[ImageSummary] | None = None
    Containers: list[ContainerSummary] | None = None
    Volumes: list[Volume] | None = None
    BuildCache: list[BuildCacheRecord] | None = None


class EventActor(msgspec.Struct):
    ID: str = ""
    Attributes: dict[str, str] | None = None


class Event(msgspec.Struct):
    """One message of ``GET /events``; a container's also carries the fields of the API
    before 1.22 (``status``, ``id``, ``from``), as dockerd still sends them."""

    status: str | UnsetType = UNSET
    id: str | UnsetType = UNSET
    from_: str | UnsetType = msgspec.field(default=UNSET, name="from")
    Type: str = ""
    Action: str = ""
    Actor: EventActor = msgspec.field(default_factory=EventActor)
    scope: str = ""
    time: int = 0
    timeNano: int = 0


class WaitExitError(msgspec.Struct):
    Message: str = ""


class WaitResponse(msgspec.Struct):
    """``POST /containers/{id}/wait``; ``Error`` is null when the wait itself worked."""

    StatusCode: int = 0
    Error: WaitExitError | None = None


class ProcessConfig(msgspec.Struct):
    tty: bool = False
    entrypoint: str = ""
    arguments: list[str] = msgspec.field(default_factory=list)
    privileged: bool = False
    user: str = ""


class ExecInspect(msgspec.Struct):
    """``GET /exec/{id}/json``; ``ExitCode`` is null while the process runs."""

    ID: str = ""
    Running: bool = False
    ExitCode: int | None = None
    ProcessConfig: ProcessConfig = msgspec.field(default_factory=ProcessConfig)
    OpenStdin: bool = False
    OpenStderr: bool = False
    OpenStdout: bool = False
    CanRemove: bool = False
    ContainerID: str = ""
    DetachKeys: str = ""
    Pid: int = 0


class HistoryItem(msgspec.Struct):
    """One item of ``GET /images/{name}/history`` (newest first; only the newest has the
    image's ID and tags, the others ``<missing>`` and null)."""

    Id: str = ""
    Created: int = 0
    CreatedBy: str = ""
    Tags: list[str] | None = None
    Size: int = 0
    Comment: str = ""
