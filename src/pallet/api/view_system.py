"""``GET /info`` (:class:`SystemInfo`) and ``GET /version`` (:class:`SystemVersion`) as
msgspec Structs, in dockerd's field order.

The daemon builds the fixed part of the info once at start (host facts, the parts'
contributions); a request only fills in the counts and the time.
``RegistryConfig.InsecureRegistries`` is pallet's own (the registries it talks plain
HTTP to), left out when none is configured.
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType


class PluginsInfo(msgspec.Struct):
    Volume: list[str] = msgspec.field(default_factory=list)
    Network: list[str] = msgspec.field(default_factory=list)
    Log: list[str] = msgspec.field(default_factory=list)


class IndexInfo(msgspec.Struct):
    Name: str = ""
    Mirrors: list[str] = msgspec.field(default_factory=list)
    Secure: bool = True
    Official: bool = False


class RegistryConfig(msgspec.Struct):
    IndexConfigs: dict[str, IndexInfo] = msgspec.field(default_factory=dict)
    InsecureRegistryCIDRs: list[str] = msgspec.field(default_factory=list)
    InsecureRegistries: list[str] | UnsetType = UNSET


class RuntimeInfo(msgspec.Struct):
    path: str = ""


class SwarmInfo(msgspec.Struct):
    LocalNodeState: str = "inactive"
    NodeID: str = ""
    NodeAddr: str = ""
    ControlAvailable: bool = False
    Error: str = ""
    RemoteManagers: list[str] | None = None


class SystemInfo(msgspec.Struct):
    ID: str = ""
    Containers: int = 0
    ContainersRunning: int = 0
    ContainersPaused: int = 0
    ContainersStopped: int = 0
    Images: int = 0
    Driver: str = ""
    DriverStatus: list[list[str]] = msgspec.field(default_factory=list)
    Plugins: PluginsInfo = msgspec.field(default_factory=PluginsInfo)
    MemoryLimit: bool = False
    SwapLimit: bool = False
    CpuCfsPeriod: bool = False
    CpuCfsQuota: bool = False
    PidsLimit: bool = False
    IPv4Forwarding: bool = False
    Debug: bool = False
    SystemTime: str = ""
    LoggingDriver: str = ""
    CgroupDriver: str = ""
    CgroupVersion: str = ""
    KernelVersion: str = ""
    OperatingSystem: str = ""
    OSType: str = ""
    Architecture: str = ""
    RegistryConfig: RegistryConfig = msgspec.field(default_factory=RegistryConfig)
    NCPU: int = 0
    MemTotal: int = 0
    DockerRootDir: str = ""
    HttpProxy: str = ""
    HttpsProxy: str = ""
    NoProxy: str = ""
    Name: str = ""
    Labels: list[str] = msgspec.field(default_factory=list)
    ExperimentalBuild: bool = False
    ServerVersion: str = ""
    Runtimes: dict[str, RuntimeInfo] = msgspec.field(default_factory=dict)
    DefaultRuntime: str = ""
    Swarm: SwarmInfo = msgspec.field(default_factory=SwarmInfo)
    LiveRestoreEnabled: bool = False
    Isolation: str = ""
    InitBinary: str = ""
    SecurityOptions: list[str] = msgspec.field(default_factory=list)
    Warnings: list[str] = msgspec.field(default_factory=list)
    Containerd: None = None


class PlatformInfo(msgspec.Struct):
    Name: str = ""


class ComponentVersion(msgspec.Struct):
    Name: str = ""
    Version: str = ""
    Details: dict[str, str] | None = None


class SystemVersion(msgspec.Struct):
    Platform: PlatformInfo = msgspec.field(default_factory=PlatformInfo)
    Components: list[ComponentVersion] = msgspec.field(default_factory=list)
    Version: str = ""
    ApiVersion: str = ""
    MinAPIVersion: str = ""
    GitCommit: str = ""
    GoVersion: str = ""
    Os: str = ""
    Arch: str = ""
    KernelVersion: str = ""
    BuildTime: str = ""
