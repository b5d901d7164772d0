"""Volume views of the Engine API as msgspec Structs: ``GET /volumes/{name}``, the create
answer and ``GET /volumes`` (:class:`VolumeList`).

Fields are in dockerd's order (its Go struct's, alphabetical); ``UsageData`` is only
there when usage was measured (``GET /system/df``), as Go's ``omitempty`` leaves it out.
``pallet.client`` decodes into the same Structs (every field has a default).
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType


class VolumeUsage(msgspec.Struct):
    RefCount: int = -1
    Size: int = -1


class Volume(msgspec.Struct):
    """One volume; ``Options`` is null when it has none."""

    CreatedAt: str = ""
    Driver: str = "local"
    Labels: dict[str, str] | None = None
    Mountpoint: str = ""
    Name: str = ""
    Options: dict[str, str] | None = None
    Scope: str = "local"
    UsageData: VolumeUsage | UnsetType = UNSET


class VolumeList(msgspec.Struct):
    """``GET /volumes``."""

    Volumes: list[Volume] | None = None
    Warnings: list[str] | None = None
