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

import msgspec

from pallet.engine.health import HealthState
from pallet.network.netdoc import PortMapping, SetupDocument
from pallet.volumes.mounts import MountPoint


class NetworkEntry(msgspec.Struct, kw_only=True):
    """One network the container is connected to, as its endpoint settings asked (aliases
    and a fixed address only on user-defined networks)."""

    id: str
    name: str = ""
    aliases: list[str] = []
    ip: str = ""  # the fixed address asked for ("" for any)
    ip6: str = ""
    links: list[str] = []  # "name:alias" (EndpointSettings.Links)
    mac: str = ""
    driver_opts: dict[str, str] = {}
    link_local: list[str] = []


class Endpoint(msgspec.Struct, kw_only=True):
    """The endpoint a running container has on one network."""

    ip: str = ""
    prefix: int = 0
    gateway: str = ""
    mac: str = ""
    endpoint: str = ""  # its ID
    interface: str = ""  # eth<n> inside the container
    ip6: str = ""
    prefix6: int = 0
    gateway6: str = ""


class NetworkState(msgspec.Struct, kw_only=True):
    """The network plugin's slice: what the container asks for (``mode``, ``networks``)
    and, while it runs, what was set up (the rest). Filled in ``engine/netplug``."""

    mode: str = "bridge"  # "bridge" | "host" | "none" | "container:<id>" | "user"
    networks: list[NetworkEntry] = []
    netns: str = ""  # the pinned namespace file while it runs
    docs: list[SetupDocument] = []  # netavark's documents set up (teardown needs them)
    endpoints: dict[str, Endpoint] = {}  # by network ID
    ports: list[PortMapping] = []  # the published ports
    dns: list[str] = []  # the resolvers and search domains its resolv.conf was given
    search: list[str] = []

    @property
    def set_up(self) -> bool:
        """Whether an endpoint (or its namespace) exists that a teardown must undo."""
        return bool(self.docs or self.netns)

    def forget_endpoint(self) -> None:
        """Drop what was set up (torn down, or handed to the reaper)."""
        self.docs, self.endpoints, self.ports, self.netns = [], {}, [], ""


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

    network: NetworkState | None = None
    volumes: VolumeState | None = None
    health: HealthState | None = None
    restart: RestartState | None = None
