"""The parts a compose service is made of (ports, mounts, healthcheck, deploy, build...),
as :class:`~pallet.compose.model.Service` holds them: msgspec Structs in the shape
``docker compose config`` prints, sizes in bytes and durations in nanoseconds.
:mod:`pallet.compose.model` re-exports every one of them.
"""

# no ``from __future__ import annotations``: msgspec reads these Structs' annotations on
# every command's first decode, and evaluating them from strings costs ~3 ms more

import msgspec


class Part(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True, kw_only=True):
    """Base of the model's Structs: unset fields are left out of the printed document, and
    fields come in the order of Compose v2's own types (its YAML, JSON and config hash)."""


class Port(Part):
    """One published or exposed port (``ports:`` long syntax)."""

    name: str | None = None
    mode: str = "ingress"
    host_ip: str | None = None
    target: int = 0
    published: str | None = None  # "8080" or a range "8000-8010"; None: an ephemeral port
    protocol: str = "tcp"
    app_protocol: str | None = None


class BindOptions(Part):
    selinux: str | None = None  # "z" or "Z"
    propagation: str | None = None
    create_host_path: bool | None = None
    recursive: str | None = None


class VolumeOptions(Part):
    labels: dict[str, str] | None = None
    nocopy: bool = False
    subpath: str | None = None


class TmpfsOptions(Part):
    size: int | None = None  # bytes
    mode: int | None = None


class ImageOptions(Part):
    subpath: str | None = None


class Mount(Part):
    """One ``volumes:`` entry in long syntax (bind, volume, tmpfs, image, npipe, cluster)."""

    type: str = "volume"
    source: str | None = None
    target: str = ""
    read_only: bool = False
    consistency: str | None = None
    bind: BindOptions | None = None
    volume: VolumeOptions | None = None
    tmpfs: TmpfsOptions | None = None
    image: ImageOptions | None = None


class FileReference(Part):
    """A service's use of a top-level secret or config (mounted as a file)."""

    source: str = ""
    # a secret's defaults to /run/secrets/SOURCE; a relative target is under /run/secrets
    # (secrets) or / (configs); a config without one is mounted at /SOURCE
    target: str | None = None
    uid: str | None = None
    gid: str | None = None
    mode: int | None = None


class Dependency(Part):
    """One ``depends_on`` entry; Compose v2 prints ``required`` always."""

    condition: str = "service_started"
    restart: bool = False
    required: bool = True


class ServiceNetwork(Part):
    """A service's attachment to one network."""

    aliases: list[str] | None = None
    driver_opts: dict[str, str] | None = None
    gw_priority: int | None = None
    interface_name: str | None = None
    ipv4_address: str | None = None
    ipv6_address: str | None = None
    link_local_ips: list[str] | None = None
    mac_address: str | None = None
    priority: int | None = None


class Healthcheck(Part):
    test: list[str] | None = None  # ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]
    timeout: int | None = None  # ns, as interval and the start times
    interval: int | None = None
    retries: int | None = None
    start_period: int | None = None
    start_interval: int | None = None
    disable: bool = False


class Ulimit(Part):
    """``nofile: 1024`` is ``Ulimit(single=1024)``; ``{soft, hard}`` otherwise."""

    single: int | None = None
    soft: int | None = None
    hard: int | None = None


class Logging(Part):
    driver: str | None = None
    options: dict[str, str] | None = None


class DeviceRequest(Part):
    capabilities: list[str] | None = None
    driver: str | None = None
    count: int | None = None  # -1: all
    device_ids: list[str] | None = None
    options: dict[str, str] | None = None


class Resource(Part):
    cpus: float | None = None
    memory: int | None = None  # bytes
    pids: int | None = None
    devices: list[DeviceRequest] | None = None


class Resources(Part):
    limits: Resource | None = None
    reservations: Resource | None = None


class RestartPolicy(Part):
    condition: str | None = None
    delay: int | None = None  # ns
    max_attempts: int | None = None
    window: int | None = None  # ns


class UpdateConfig(Part):
    """``update_config`` / ``rollback_config``: Swarm's, kept for the file and its hash."""

    parallelism: int | None = None
    delay: int | None = None  # ns
    failure_action: str | None = None
    monitor: int | None = None  # ns
    max_failure_ratio: float | None = None
    order: str | None = None


class PlacementPreference(Part):
    spread: str | None = None


class Placement(Part):
    """Swarm's placement: kept for the file and its hash, no effect on one engine."""

    constraints: list[str] | None = None
    preferences: list[PlacementPreference] | None = None
    max_replicas_per_node: int | None = None


class Deploy(Part):
    """compose-go's DeployConfig, its fields in that order (the config hash follows it)."""

    mode: str | None = None
    replicas: int | None = None
    labels: dict[str, str] | None = None
    update_config: UpdateConfig | None = None
    rollback_config: UpdateConfig | None = None
    resources: Resources | None = None
    restart_policy: RestartPolicy | None = None
    placement: Placement | None = None
    endpoint_mode: str | None = None


class BuildSecret(Part):
    source: str = ""
    target: str | None = None
    uid: str | None = None
    gid: str | None = None
    mode: int | None = None


class Build(Part):
    context: str = "."  # absolute path, or a git/http URL
    dockerfile: str | None = None
    dockerfile_inline: str | None = None
    args: dict[str, str | None] | None = None
    ssh: list[str] | None = None
    labels: dict[str, str] | None = None
    cache_from: list[str] | None = None
    cache_to: list[str] | None = None
    no_cache: bool = False
    additional_contexts: dict[str, str] | None = None
    pull: bool = False
    extra_hosts: list[str] | None = None
    isolation: str | None = None
    network: str | None = None
    target: str | None = None
    secrets: list[BuildSecret] | None = None
    shm_size: int | None = None
    tags: list[str] | None = None
    platforms: list[str] | None = None
    privileged: bool = False


class Extends(Part):
    file: str | None = None
    service: str = ""


class Device(Part):
    source: str = ""
    target: str = ""
    permissions: str = "rwm"
