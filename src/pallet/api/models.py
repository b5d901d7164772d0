"""Engine API request bodies, decoded with msgspec (the daemon) and encoded (the client).
The network and volume create bodies are ``pallet.api.netmodels``'.

Field names are the wire names (Docker's PascalCase), so a struct reads like the
swagger definition. Unknown fields are ignored, as dockerd does; missing ones
(and nulls, and keys in another case: Go's rules) take Docker's defaults. Responses are
built by the daemon's views.
"""

from __future__ import annotations

from typing import TypeVar

import msgspec


class RestartPolicy(msgspec.Struct, omit_defaults=True):
    Name: str = ""
    MaximumRetryCount: int = 0


class LogConfig(msgspec.Struct, omit_defaults=True):
    Type: str = ""
    Config: dict[str, str] | None = None


class Ulimit(msgspec.Struct):
    Name: str
    Soft: int
    Hard: int


class PortBinding(msgspec.Struct, omit_defaults=True):
    HostIp: str = ""
    HostPort: str = ""


class Empty(msgspec.Struct):
    """``{}``: the value of a key in Docker's port and volume sets (``ExposedPorts``,
    ``Volumes``)."""


class BindOptions(msgspec.Struct, omit_defaults=True):
    Propagation: str = ""
    NonRecursive: bool = False
    CreateMountpoint: bool = False
    ReadOnlyNonRecursive: bool = False
    ReadOnlyForceRecursive: bool = False


class DriverConfig(msgspec.Struct, omit_defaults=True):
    Name: str = ""
    Options: dict[str, str] | None = None


class VolumeOptions(msgspec.Struct, omit_defaults=True):
    """``Subpath`` is API 1.45's (and ``TmpfsOptions.Options`` 1.46's): kept and echoed, not
    yet applied by the mounts (``pallet kube play`` sends a ``subPath`` there)."""

    NoCopy: bool = False
    Labels: dict[str, str] | None = None
    DriverConfig: DriverConfig | None = None
    Subpath: str = ""


class TmpfsOptions(msgspec.Struct, omit_defaults=True):
    SizeBytes: int = 0
    Mode: int = 0
    Options: list[list[str]] | None = None


class MountSpec(msgspec.Struct, omit_defaults=True):
    Target: str = ""
    Source: str = ""
    Type: str = "volume"
    ReadOnly: bool = False
    Consistency: str = ""
    BindOptions: BindOptions | None = None
    VolumeOptions: VolumeOptions | None = None
    TmpfsOptions: TmpfsOptions | None = None


class DeviceMapping(msgspec.Struct):
    """One ``--device``: a host device node, its path in the container (the host's when
    empty) and the cgroup permissions (``rwm`` when empty). All three are always on the
    wire, as Go writes them (no omitempty), in requests, stored records and inspect."""

    PathOnHost: str = ""
    PathInContainer: str = ""
    CgroupPermissions: str = ""


class HealthConfig(msgspec.Struct, omit_defaults=True):
    Test: list[str] | None = None
    Interval: int = 0
    Timeout: int = 0
    Retries: int = 0
    StartPeriod: int = 0
    StartInterval: int = 0


class ContainerConfig(msgspec.Struct, omit_defaults=True):
    """``Config`` of a container (also the top level of the create body)."""

    Hostname: str = ""
    Domainname: str = ""
    User: str = ""
    AttachStdin: bool = False
    AttachStdout: bool = False
    AttachStderr: bool = False
    ExposedPorts: dict[str, Empty] | None = None
    Tty: bool = False
    OpenStdin: bool = False
    StdinOnce: bool = False
    Env: list[str] | None = None
    Cmd: list[str] | None = None
    Healthcheck: HealthConfig | None = None
    ArgsEscaped: bool | None = None
    Image: str = ""
    Volumes: dict[str, Empty] | None = None
    WorkingDir: str = ""
    Entrypoint: list[str] | None = None
    NetworkDisabled: bool | None = None
    MacAddress: str | None = None
    OnBuild: list[str] | None = None
    Labels: dict[str, str] | None = None
    StopSignal: str | None = None
    StopTimeout: int | None = None
    Shell: list[str] | None = None


class HostConfig(msgspec.Struct, omit_defaults=True):
    Binds: list[str] | None = None
    ContainerIDFile: str = ""
    LogConfig: LogConfig | None = None
    NetworkMode: str = ""
    PortBindings: dict[str, list[PortBinding] | None] | None = None
    RestartPolicy: RestartPolicy | None = None
    AutoRemove: bool = False
    VolumeDriver: str = ""
    VolumesFrom: list[str] | None = None
    Mounts: list[MountSpec] | None = None
    ConsoleSize: list[int] | None = None
    Annotations: dict[str, str] | None = None
    CapAdd: list[str] | None = None
    CapDrop: list[str] | None = None
    CgroupnsMode: str = ""
    Dns: list[str] | None = None
    DnsOptions: list[str] | None = None
    DnsSearch: list[str] | None = None
    ExtraHosts: list[str] | None = None
    GroupAdd: list[str] | None = None
    IpcMode: str = ""
    Cgroup: str = ""
    Links: list[str] | None = None
    OomScoreAdj: int = 0
    PidMode: str = ""
    Privileged: bool = False
    PublishAllPorts: bool = False
    ReadonlyRootfs: bool = False
    SecurityOpt: list[str] | None = None
    StorageOpt: dict[str, str] | None = None
    Tmpfs: dict[str, str] | None = None
    UTSMode: str = ""
    UsernsMode: str = ""
    ShmSize: int = 0
    Sysctls: dict[str, str] | None = None
    Runtime: str = ""
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
    Devices: list[DeviceMapping] | None = None
    DeviceCgroupRules: list[str] | None = None
    MemoryReservation: int = 0
    MemorySwap: int = 0
    MemorySwappiness: int | None = None
    OomKillDisable: bool | None = None
    PidsLimit: int | None = None
    Ulimits: list[Ulimit] | None = None
    Init: bool | None = None
    MaskedPaths: list[str] | None = None
    ReadonlyPaths: list[str] | None = None


class EndpointIPAMConfig(msgspec.Struct, omit_defaults=True):
    IPv4Address: str = ""
    IPv6Address: str = ""
    LinkLocalIPs: list[str] | None = None


class EndpointSettings(msgspec.Struct, omit_defaults=True):
    Aliases: list[str] | None = None
    IPAMConfig: EndpointIPAMConfig | None = None
    Links: list[str] | None = None
    MacAddress: str = ""
    DriverOpts: dict[str, str] | None = None
    NetworkID: str = ""


class NetworkConnectRequest(msgspec.Struct, omit_defaults=True):
    """Body of ``POST /networks/{id}/connect``."""

    Container: str = ""
    EndpointConfig: EndpointSettings | None = None


class NetworkDisconnectRequest(msgspec.Struct):
    """Body of ``POST /networks/{id}/disconnect``."""

    Container: str = ""
    Force: bool = False


class NetworkingConfig(msgspec.Struct, omit_defaults=True):
    EndpointsConfig: dict[str, EndpointSettings | None] | None = None


class CreateRequest(ContainerConfig, omit_defaults=True):
    """Body of ``POST /containers/create``: the container config plus host settings."""

    HostConfig: HostConfig | None = None
    NetworkingConfig: NetworkingConfig | None = None
    # docker-py's create_container(runtime=...) sends the runtime here, beside HostConfig
    Runtime: str = ""


class ExecConfig(msgspec.Struct, omit_defaults=True):
    """Body of ``POST /containers/{id}/exec``."""

    Cmd: list[str] | None = None
    AttachStdin: bool = False
    AttachStdout: bool = False
    AttachStderr: bool = False
    DetachKeys: str = ""
    Tty: bool = False
    ConsoleSize: list[int] | None = None
    Env: list[str] | None = None
    Privileged: bool = False
    User: str = ""
    WorkingDir: str = ""


class ExecStartConfig(msgspec.Struct, omit_defaults=True):
    Detach: bool = False
    Tty: bool = False
    ConsoleSize: list[int] | None = None


class UpdateConfig(msgspec.Struct, omit_defaults=True):
    """Body of ``POST /containers/{id}/update``: resources and the restart policy."""

    CpuShares: int = 0
    Memory: int = 0
    NanoCpus: int = 0
    CpuPeriod: int = 0
    CpuQuota: int = 0
    CpuRealtimePeriod: int = 0
    CpuRealtimeRuntime: int = 0
    CpusetCpus: str = ""
    CpusetMems: str = ""
    MemoryReservation: int = 0
    MemorySwap: int = 0
    KernelMemory: int = 0
    PidsLimit: int | None = None
    BlkioWeight: int = 0
    OomKillDisable: bool | None = None
    RestartPolicy: RestartPolicy | None = None


T = TypeVar("T")


def decode(data: bytes, into: type[T]) -> T:
    """Decode a JSON body into ``into`` with Go's rules (:mod:`pallet.api.gojson`): keys match
    fields whatever their case, a null a field cannot hold is its default; an empty body gives
    the defaults."""
    from pallet.api import gojson

    value: T = gojson.decode(data, into)
    return value
