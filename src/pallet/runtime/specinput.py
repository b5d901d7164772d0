"""The resolved inputs of the OCI runtime-spec generator (pure data).

The engine fills a :class:`SpecInput` from the container record, image, users, mounts
and network; :func:`pallet.runtime.spec.generate_spec` turns it into ``config.json``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pallet.oci.runtimemount import OciMount


@dataclass(frozen=True)
class SpecInput:
    """Everything the spec needs, already resolved by the engine.

    Namespace paths (``netns_path``, ``ipc_ns_path``, ``pid_ns_path``, ``uts_ns_path``):
    None = a new namespace, ``"host"`` = share the host's, anything else = join that path.
    Sizes are bytes; 0 or None means "not set".
    """

    args: Sequence[str]
    rootfs: str
    env: Sequence[str] = ()
    cwd: str = "/"
    uid: int = 0
    gid: int = 0
    additional_gids: Sequence[int] = ()
    hostname: str = ""
    domainname: str = ""
    terminal: bool = False
    readonly_rootfs: bool = False
    mounts: Sequence[OciMount] = ()
    tmpfs: Mapping[str, str] = field(default_factory=dict)
    cap_add: Sequence[str] = ()
    cap_drop: Sequence[str] = ()
    available_caps: frozenset[str] | None = None
    privileged: bool = False
    no_new_privileges: bool = False
    seccomp: Mapping[str, Any] | None = None
    rlimits: Sequence[tuple[str, int, int]] = ()
    rlimit_ceiling: Mapping[str, int] = field(default_factory=dict)
    memory: int = 0
    memory_swap: int = 0
    memory_reservation: int = 0
    oom_kill_disable: bool = False
    cpu_shares: int = 0
    cpu_quota: int = 0
    cpu_period: int = 0
    cpuset_cpus: str = ""
    cpuset_mems: str = ""
    pids_limit: int | None = None
    block_io: Mapping[str, Any] | None = None
    oom_score_adj: int | None = None
    cgroups_path: str | None = None
    netns_path: str | None = None
    ipc_ns_path: str | None = None
    pid_ns_path: str | None = None
    uts_ns_path: str | None = None
    cgroupns: bool = False
    shm_size: int = 0
    sysctls: Mapping[str, str] = field(default_factory=dict)
    masked_paths: Sequence[str] | None = None
    readonly_paths: Sequence[str] | None = None
    # OCI linux.devices entries; an optional "access" (r/w/m) is their cgroup rule's
    devices: Sequence[Mapping[str, Any]] = ()
    device_cgroup_rules: Sequence[Mapping[str, Any]] = ()
    init: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
