"""The flags of ``run``/``create`` as the command line gives them (strings, as
docker parses them), before :mod:`pallet.cli.runconfig` turns them into a create
body."""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from typing import Any



class RunFlags:
    """Flags of ``run``/``create`` as given (strings, as docker parses them).

    A plain class, not a dataclass (whose import and code generation cost the
    CLI ~8 ms): keyword-only construction; list fields start as new empty lists.
    """

    detach: bool = False
    rm: bool = False
    name: str | None = None
    env: list[str]
    env_file: list[str]
    workdir: str = ""
    user: str = ""
    hostname: str = ""
    domainname: str = ""
    label: list[str]
    label_file: list[str]
    entrypoint: str | None = None
    interactive: bool = False
    tty: bool = False
    init: bool = False
    runtime: str = ""
    publish: list[str]
    publish_all: bool = False
    expose: list[str]
    volume: list[str]
    mount: list[str]
    tmpfs: list[str]
    volumes_from: list[str]
    network: list[str]
    network_alias: list[str]
    ip: str = ""
    ip6: str = ""
    mac_address: str = ""
    dns: list[str]
    dns_search: list[str]
    dns_option: list[str]
    add_host: list[str]
    restart: str = "no"
    health_cmd: str = ""
    health_interval: str = ""
    health_timeout: str = ""
    health_retries: int = 0
    health_start_period: str = ""
    health_start_interval: str = ""
    no_healthcheck: bool = False
    memory: str = ""
    memory_swap: str = ""
    memory_reservation: str = ""
    memory_swappiness: int = -1
    cpus: str = ""
    cpu_shares: int = 0
    cpu_period: int = 0
    cpu_quota: int = 0
    cpuset_cpus: str = ""
    cpuset_mems: str = ""
    pids_limit: int = 0
    oom_kill_disable: bool = False
    oom_score_adj: int = 0
    read_only: bool = False
    cap_add: list[str]
    cap_drop: list[str]
    security_opt: list[str]
    ulimit: list[str]
    log_driver: str = ""
    log_opt: list[str]
    stop_signal: str = ""
    stop_timeout: int | None = None
    privileged: bool = False
    shm_size: str = ""
    sysctl: list[str]
    attach: list[str]
    cidfile: str = ""
    group_add: list[str]
    device: list[str]
    pid: str = ""
    ipc: str = ""
    uts: str = ""
    userns: str = ""
    cgroupns: str = ""
    cgroup_parent: str = ""
    annotation: list[str]

    def __init__(self, **values: Any) -> None:
        for key in _LISTS:
            setattr(self, key, [])
        for key, value in values.items():
            if key not in _FIELDS:
                raise TypeError(f"RunFlags has no flag {key!r}")
            setattr(self, key, value)

    def __repr__(self) -> str:
        return f"RunFlags({', '.join(f'{k}={getattr(self, k)!r}' for k in _FIELDS)})"


_FIELDS = frozenset(RunFlags.__annotations__)
_LISTS = tuple(k for k in RunFlags.__annotations__ if not hasattr(RunFlags, k))
