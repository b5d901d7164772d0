"""A container's ``HostConfig`` as ``GET /containers/{id}/json`` shows it.

The request's host config (:class:`pallet.api.models.HostConfig`) holds what the client
sent; this view is it with dockerd's defaults filled in, in dockerd's field order. The
fields Go leaves out when empty (``Annotations``, ``StorageOpt``, ``Sysctls``,
``DeviceCgroupRules``) are ``UNSET`` until set; the rest are always there.
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from pallet.api.models import DeviceMapping, MountSpec, Ulimit


class LogConfigView(msgspec.Struct):
    Type: str = "json-file"
    Config: dict[str, str] | None = msgspec.field(default_factory=dict)


class RestartPolicyView(msgspec.Struct):
    Name: str = "no"
    MaximumRetryCount: int = 0


class PortBindingView(msgspec.Struct):
    HostIp: str = ""
    HostPort: str = ""


class HostConfigView(msgspec.Struct):
    Binds: list[str] | None = None
    ContainerIDFile: str = ""
    LogConfig: LogConfigView = msgspec.field(default_factory=LogConfigView)
    NetworkMode: str = "bridge"
    PortBindings: dict[str, list[PortBindingView] | None] | None = msgspec.field(
        default_factory=dict)
    RestartPolicy: RestartPolicyView = msgspec.field(default_factory=RestartPolicyView)
    AutoRemove: bool = False
    VolumeDriver: str = ""
    VolumesFrom: list[str] | None = None
    ConsoleSize: list[int] = msgspec.field(default_factory=lambda: [0, 0])
    Annotations: dict[str, str] | UnsetType = UNSET
    CapAdd: list[str] | None = None
    CapDrop: list[str] | None = None
    CgroupnsMode: str = "private"
    Dns: list[str] | None = msgspec.field(default_factory=list)
    DnsOptions: list[str] | None = msgspec.field(default_factory=list)
    DnsSearch: list[str] | None = msgspec.field(default_factory=list)
    ExtraHosts: list[str] | None = None
    GroupAdd: list[str] | None = None
    IpcMode: str = "private"
    Cgroup: str = ""
    Links: list[str] | None = None
    OomScoreAdj: int = 0
    PidMode: str = ""
    Privileged: bool = False
    PublishAllPorts: bool = False
    ReadonlyRootfs: bool = False
    SecurityOpt: list[str] | None = None
    StorageOpt: dict[str, str] | UnsetType = UNSET
    UTSMode: str = ""
    UsernsMode: str = ""
    ShmSize: int = 67108864
    Sysctls: dict[str, str] | UnsetType = UNSET
    Runtime: str = "crun"
    Isolation: str = ""
    CpuShares: int = 0
    Memory: int = 0
    NanoCpus: int = 0
    CgroupParent: str = ""
    BlkioWeight: int = 0
    CpuPeriod: int = 0
    CpuQuota: int = 0
    CpuRealtimePeriod: int = 0
    CpuRealtimeRuntime: int = 0
    CpusetCpus: str = ""
    CpusetMems: str = ""
    Devices: list[DeviceMapping] | None = msgspec.field(default_factory=list)
    DeviceCgroupRules: list[str] | UnsetType = UNSET
    MemoryReservation: int = 0
    MemorySwap: int = 0
    MemorySwappiness: int | None = None
    OomKillDisable: bool | None = None
    PidsLimit: int | None = None
    Ulimits: list[Ulimit] | None = None
    Init: bool | None = None
    Mounts: list[MountSpec] | None = None
    Tmpfs: dict[str, str] | None = None
    MaskedPaths: list[str] | None = None
    ReadonlyPaths: list[str] | None = None
