"""The normalised compose project: typed, in the shape ``docker compose config`` prints.

The loader (:mod:`pallet.compose.loader`) turns compose files into a :class:`Project`; the
planner and the executor read only this model. Every value is already normalised the way
Compose v2 normalises it: short syntax expanded to long syntax (ports, volumes, secrets,
configs, depends_on, networks), environment and labels as maps, relative paths made
absolute against the project directory, ``env_file`` contents merged into ``environment``.

Units: sizes (``mem_limit``, ``shm_size``, ``deploy.resources.*.memory``, tmpfs ``size``)
are ints in bytes; durations (healthcheck times, ``stop_grace_period``, restart-policy
``delay``/``window``) are ints in nanoseconds, as the Engine API takes them. The ``config``
command turns both back into Compose v2's printed form (:mod:`pallet.compose.render`).
Field names are the compose keys, so ``msgspec.to_builtins`` of a project is the document.
"""

# no ``from __future__ import annotations``: msgspec reads these Structs' annotations on
# every command's first decode, and evaluating them from strings costs ~3 ms more

import msgspec

from pallet.compose.parts import (
    BindOptions,
    Build,
    BuildSecret,
    Dependency,
    Deploy,
    Device,
    DeviceRequest,
    Extends,
    FileReference,
    Healthcheck,
    ImageOptions,
    Logging,
    Mount,
    Part,
    Port,
    Resource,
    Resources,
    RestartPolicy,
    ServiceNetwork,
    TmpfsOptions,
    Ulimit,
    VolumeOptions,
)

# the parts are re-exported: the model is one import for its readers
__all__ = [
    "BindOptions",
    "Build",
    "BuildSecret",
    "Dependency",
    "Deploy",
    "Device",
    "DeviceRequest",
    "Extends",
    "FileObject",
    "FileReference",
    "Healthcheck",
    "ImageOptions",
    "Ipam",
    "IpamPool",
    "Logging",
    "Mount",
    "Network",
    "Port",
    "Project",
    "Resource",
    "Resources",
    "RestartPolicy",
    "Service",
    "ServiceNetwork",
    "TmpfsOptions",
    "Ulimit",
    "Volume",
    "VolumeOptions",
]


class Service(Part):
    """One service, normalised; ``name`` is the key it has under ``services:``."""

    name: str = ""
    profiles: list[str] | None = None
    annotations: dict[str, str] | None = None
    attach: bool | None = None
    build: Build | None = None
    blkio_config: dict[str, object] | None = None
    cap_add: list[str] | None = None
    cap_drop: list[str] | None = None
    cgroup_parent: str | None = None
    cgroup: str | None = None
    cpu_count: int | None = None
    cpu_percent: float | None = None
    cpu_period: int | None = None
    cpu_quota: int | None = None
    cpu_rt_period: int | None = None
    cpu_rt_runtime: int | None = None
    cpus: float | None = None
    cpuset: str | None = None
    cpu_shares: int | None = None
    command: list[str] | None = None
    configs: list[FileReference] | None = None
    container_name: str | None = None
    depends_on: dict[str, Dependency] | None = None
    deploy: Deploy | None = None
    device_cgroup_rules: list[str] | None = None
    devices: list[Device] | None = None
    dns: list[str] | None = None
    dns_opt: list[str] | None = None
    dns_search: list[str] | None = None
    domainname: str | None = None
    entrypoint: list[str] | None = None
    environment: dict[str, str | None] | None = None
    expose: list[str] | None = None
    external_links: list[str] | None = None
    extra_hosts: list[str] | None = None  # "host=ip" entries, as Compose v2 prints them
    group_add: list[str] | None = None
    hostname: str | None = None
    healthcheck: Healthcheck | None = None
    image: str | None = None
    init: bool | None = None
    ipc: str | None = None
    isolation: str | None = None
    labels: dict[str, str] | None = None
    # read into labels; kept (absolute) only for the config hash, which Compose v2 takes
    # of its ServiceConfig with the paths still in it; never printed
    label_file: list[str] | None = None
    links: list[str] | None = None
    logging: Logging | None = None
    mem_limit: int | None = None  # bytes
    mem_reservation: int | None = None
    memswap_limit: int | None = None
    mem_swappiness: int | None = None
    mac_address: str | None = None
    network_mode: str | None = None
    networks: dict[str, ServiceNetwork | None] | None = None
    oom_kill_disable: bool = False
    oom_score_adj: int | None = None
    pid: str | None = None
    pids_limit: int | None = None
    platform: str | None = None
    ports: list[Port] | None = None
    privileged: bool = False
    pull_policy: str | None = None
    read_only: bool = False
    restart: str | None = None
    runtime: str | None = None
    scale: int | None = None
    secrets: list[FileReference] | None = None
    security_opt: list[str] | None = None
    shm_size: int | None = None  # bytes
    stdin_open: bool = False
    stop_grace_period: int | None = None  # ns
    stop_signal: str | None = None
    storage_opt: dict[str, str] | None = None
    sysctls: dict[str, str] | None = None
    tmpfs: list[str] | None = None
    tty: bool = False
    ulimits: dict[str, Ulimit] | None = None
    user: str | None = None
    userns_mode: str | None = None
    uts: str | None = None
    volumes: list[Mount] | None = None
    volumes_from: list[str] | None = None
    working_dir: str | None = None
    # the service's ``x-*`` keys, printed back by ``config``
    extensions: dict[str, object] | None = msgspec.field(default=None, name="x-extensions")

    def replicas(self) -> int:
        """How many containers the service runs: ``scale``, else ``deploy.replicas``, else 1."""
        if self.scale is not None:
            return self.scale
        if self.deploy is not None and self.deploy.replicas is not None:
            return self.deploy.replicas
        return 1


# ---- top-level resources ---------------------------------------------------------------------


class IpamPool(Part):
    subnet: str | None = None
    gateway: str | None = None
    ip_range: str | None = None
    aux_addresses: dict[str, str] | None = None


class Ipam(Part):
    driver: str | None = None
    config: list[IpamPool] | None = None
    options: dict[str, str] | None = None


class Network(Part):
    """A top-level network; ``name`` is the engine's name (``PROJECT_KEY`` unless set)."""

    name: str
    driver: str | None = None
    driver_opts: dict[str, str] | None = None
    ipam: Ipam | None = None
    external: bool = False
    internal: bool = False
    attachable: bool = False
    labels: dict[str, str] | None = None
    enable_ipv4: bool | None = None
    enable_ipv6: bool | None = None


class Volume(Part):
    name: str
    driver: str | None = None
    driver_opts: dict[str, str] | None = None
    external: bool = False
    labels: dict[str, str] | None = None


class FileObject(Part):
    """A top-level secret or config: from a file, the environment, inline content or external."""

    name: str
    file: str | None = None  # absolute path
    environment: str | None = None
    content: str | None = None
    external: bool = False
    labels: dict[str, str] | None = None
    driver: str | None = None
    driver_opts: dict[str, str] | None = None
    template_driver: str | None = None


class Project(Part):
    """The whole normalised project: ``name`` is Compose v2's normalised project name."""

    name: str
    services: dict[str, Service] = msgspec.field(default_factory=dict)
    networks: dict[str, Network] | None = None
    volumes: dict[str, Volume] | None = None
    secrets: dict[str, FileObject] | None = None
    configs: dict[str, FileObject] | None = None
    # not printed by ``config``; where the project comes from
    extensions: dict[str, object] | None = msgspec.field(default=None, name="x-extensions")
    # not printed by ``config``; where the project comes from
    working_dir: str = msgspec.field(default="", name="x-pallet-working-dir")
    compose_files: list[str] = msgspec.field(default_factory=list, name="x-pallet-files")
    environment: dict[str, str] = msgspec.field(default_factory=dict, name="x-pallet-env")
    profiles: list[str] = msgspec.field(default_factory=list, name="x-pallet-profiles")
    # --env-file (or COMPOSE_ENV_FILES) files, absolute: Compose v2's environment_file label
    env_files: list[str] = msgspec.field(default_factory=list, name="x-pallet-env-files")
    warnings: list[str] = msgspec.field(default_factory=list, name="x-pallet-warnings")
    disabled: dict[str, Service] = msgspec.field(default_factory=dict,
                                                 name="x-pallet-disabled")

    def service_names(self) -> list[str]:
        """The enabled services' names as ``config --services`` lists them: by name, each
        after the services it depends on."""
        order: list[str] = []

        def visit(name: str, trail: tuple[str, ...]) -> None:
            if name in order or name in trail or name not in self.services:
                return
            for dep in sorted(self.services[name].depends_on or {}):
                visit(dep, (*trail, name))
            order.append(name)

        for name in sorted(self.services):
            visit(name, ())
        return order
