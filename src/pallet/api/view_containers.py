"""Container views of the Engine API as msgspec Structs: ``GET /containers/{id}/json``
(:class:`ContainerInspect`) and the items of ``GET /containers/json``
(:class:`ContainerSummary`).

The engine builds the common part from the container record; each plugin then fills the
fragment it owns (``NetworkSettings`` and ``Ports``, ``Mounts``, ``State.Health``).
Fields are in dockerd's order; Go's ``omitempty`` fields are ``UNSET`` (absent) until
set. ``ExitReason`` in ``State`` is pallet's own (an exited container's cause).
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from pallet.api.models import EndpointIPAMConfig
from pallet.api.view_config import ConfigView
from pallet.api.view_hostconfig import HostConfigView, PortBindingView
from pallet.api.view_images import GraphDriver


class HealthcheckResult(msgspec.Struct):
    Start: str = ""
    End: str = ""
    ExitCode: int = 0
    Output: str = ""


class Health(msgspec.Struct):
    Status: str = ""
    FailingStreak: int = 0
    Log: list[HealthcheckResult] = msgspec.field(default_factory=list)


class ContainerState(msgspec.Struct):
    Status: str = ""
    Running: bool = False
    Paused: bool = False
    Restarting: bool = False
    OOMKilled: bool = False
    Dead: bool = False
    Pid: int = 0
    ExitCode: int = 0
    Error: str = ""
    StartedAt: str = ""
    FinishedAt: str = ""
    ExitReason: str | UnsetType = UNSET
    Health: Health | UnsetType = UNSET


class MountPoint(msgspec.Struct):
    """One ``Mounts`` entry; ``Name`` and ``Driver`` only for a volume."""

    Type: str = ""
    Name: str | UnsetType = UNSET
    Source: str = ""
    Destination: str = ""
    Driver: str | UnsetType = UNSET
    Mode: str = ""
    RW: bool = False
    Propagation: str = ""


class EndpointSettings(msgspec.Struct):
    """One ``NetworkSettings.Networks`` entry (API 1.44: ``Aliases`` are the endpoint's
    own, the short ID is in ``DNSNames``)."""

    IPAMConfig: EndpointIPAMConfig | None = None
    Links: list[str] | None = None
    Aliases: list[str] | None = None
    MacAddress: str = ""
    NetworkID: str = ""
    EndpointID: str = ""
    Gateway: str = ""
    IPAddress: str = ""
    IPPrefixLen: int = 0
    IPv6Gateway: str = ""
    GlobalIPv6Address: str = ""
    GlobalIPv6PrefixLen: int = 0
    DriverOpts: dict[str, str] | None = None
    DNSNames: list[str] | None = None


PortMap = dict[str, list[PortBindingView] | None]


class NetworkSettings(msgspec.Struct):
    """Inspect's ``NetworkSettings``; the top-level endpoint fields are the default
    bridge network's."""

    Bridge: str = ""
    SandboxID: str = ""
    SandboxKey: str = ""
    Ports: PortMap = msgspec.field(default_factory=dict)
    HairpinMode: bool = False
    LinkLocalIPv6Address: str = ""
    LinkLocalIPv6PrefixLen: int = 0
    SecondaryIPAddresses: list[str] | None = None
    SecondaryIPv6Addresses: list[str] | None = None
    EndpointID: str = ""
    Gateway: str = ""
    GlobalIPv6Address: str = ""
    GlobalIPv6PrefixLen: int = 0
    IPAddress: str = ""
    IPPrefixLen: int = 0
    IPv6Gateway: str = ""
    MacAddress: str = ""
    Networks: dict[str, EndpointSettings] = msgspec.field(default_factory=dict)


class SummaryNetworkSettings(msgspec.Struct):
    Networks: dict[str, EndpointSettings] = msgspec.field(default_factory=dict)


class Port(msgspec.Struct):
    """One ``Ports`` item of the list; ``IP`` and ``PublicPort`` only when published."""

    IP: str | UnsetType = UNSET
    PrivatePort: int = 0
    PublicPort: int | UnsetType = UNSET
    Type: str = ""


class SummaryHostConfig(msgspec.Struct):
    NetworkMode: str = ""


class ContainerSummary(msgspec.Struct):
    Id: str = ""
    Names: list[str] = msgspec.field(default_factory=list)
    Image: str = ""
    ImageID: str = ""
    Command: str = ""
    Created: int = 0
    Ports: list[Port] = msgspec.field(default_factory=list)
    SizeRw: int | UnsetType = UNSET
    SizeRootFs: int | UnsetType = UNSET
    Labels: dict[str, str] = msgspec.field(default_factory=dict)
    State: str = ""
    Status: str = ""
    HostConfig: SummaryHostConfig = msgspec.field(default_factory=SummaryHostConfig)
    NetworkSettings: SummaryNetworkSettings = msgspec.field(
        default_factory=SummaryNetworkSettings)
    Mounts: list[MountPoint] = msgspec.field(default_factory=list)


class ContainerInspect(msgspec.Struct):
    Id: str = ""
    Created: str = ""
    Path: str = ""
    Args: list[str] = msgspec.field(default_factory=list)
    State: ContainerState = msgspec.field(default_factory=ContainerState)
    Image: str = ""
    ResolvConfPath: str = ""
    HostnamePath: str = ""
    HostsPath: str = ""
    LogPath: str = ""
    Name: str = ""
    RestartCount: int = 0
    Driver: str = ""
    Platform: str = ""
    MountLabel: str = ""
    ProcessLabel: str = ""
    AppArmorProfile: str = ""
    ExecIDs: list[str] | None = None
    HostConfig: HostConfigView = msgspec.field(default_factory=HostConfigView)
    GraphDriver: GraphDriver = msgspec.field(default_factory=GraphDriver)
    SizeRw: int | UnsetType = UNSET
    SizeRootFs: int | UnsetType = UNSET
    Mounts: list[MountPoint] = msgspec.field(default_factory=list)
    Config: ConfigView = msgspec.field(default_factory=ConfigView)
    NetworkSettings: NetworkSettings = msgspec.field(default_factory=NetworkSettings)


ContainerView = ContainerInspect | ContainerSummary
