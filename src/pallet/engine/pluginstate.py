"""The container plugins' own state, saved with each container record.

Each plugin that keeps something per container has its slice here as a msgspec Struct,
and :class:`PluginState` (``Container.extras``) holds one optional field per slice, so
the engine reads plugin state by attribute, never by string key. The JSON keys are the
ones the untyped records used (``"network"``, ``"volumes"``, ``"health"``,
``"restart"``, and the same keys inside each), so a record saved before the types
existed decodes unchanged; a slice a plugin never wrote stays ``None`` and is left out
of the saved JSON.
"""

from __future__ import annotations

from typing import Any

import msgspec

from pallet.engine.health import HealthState
from pallet.volumes.mounts import MountPoint


class VolumeState(msgspec.Struct, kw_only=True):
    """The volume plugin's slice: the mount points resolved at create, and the volumes
    created for this container (removed with it on ``rm -v``)."""

    mounts: list[MountPoint] = msgspec.field(default_factory=list)
    anonymous: list[str] = msgspec.field(default_factory=list)


class RestartState(msgspec.Struct, kw_only=True):
    """The restart policy's slice: the backoff delay of the last restart (seconds)."""

    delay: float | None = None


class PluginState(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Every plugin's slice of one container; ``None`` where the plugin wrote nothing."""

    network: dict[str, Any] | None = None
    volumes: VolumeState | None = None
    health: HealthState | None = None
    restart: RestartState | None = None
