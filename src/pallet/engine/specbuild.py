"""Container record -> ``SpecInput`` for the runtime-spec generator (pure).

The engine resolves names (user, image) first; this module only translates
Docker's HostConfig vocabulary into the generator's input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pallet.engine.records import Container
from pallet.errors import InvalidArgument
from pallet.runtime.spec import SpecInput

SeccompFor = Callable[[Sequence[str]], Mapping[str, Any] | None]
SeccompAnnotations = Callable[[Mapping[str, Any] | None], dict[str, str]]


@dataclass(frozen=True)
class HostDefaults:
    """Facts about this host that every spec needs (from the daemon's host check)."""

    rlimit_ceiling: Mapping[str, int] = field(default_factory=dict)
    init_path: str | None = None
    cgroup_parent: str = "/pallet"
    seccomp_for: SeccompFor | None = None
    # crun only: a precompiled filter passed as an annotation (see runtime.seccomp_bpf)
    seccomp_annotations: SeccompAnnotations | None = None


@dataclass(frozen=True)
class Resolved:
    """What the engine looked up for this start."""

    uid: int
    gid: int
    additional_gids: tuple[int, ...]
    args: tuple[str, ...]
    rootfs: str
    mounts: tuple[Mapping[str, Any], ...]
    netns_path: str | None = None
    home: str = "/"


def _security(opts: Sequence[str]) -> tuple[bool, str | None]:
    """(no_new_privileges, seccomp profile choice) from ``--security-opt``."""
    nnp = False
    seccomp: str | None = None
    for opt in opts:
        key, _, value = opt.partition("=") if "=" in opt else opt.partition(":")
        if key == "no-new-privileges":
            nnp = (value or "true").lower() == "true"
        elif key == "seccomp":
            seccomp = value
        elif key in ("apparmor", "label"):
            continue  # no LSM on this host; accepted as Docker does where absent
        else:
            raise InvalidArgument(f"invalid --security-opt: {opt!r}")
    return nnp, seccomp


def build_spec_input(c: Container, r: Resolved, host: HostDefaults) -> SpecInput:
    hc = c.host_config
    nnp, seccomp_choice = _security(hc.SecurityOpt or [])
    seccomp: Mapping[str, Any] | None = None
    if not hc.Privileged and seccomp_choice != "unconfined" and host.seccomp_for is not None:
        seccomp = host.seccomp_for(hc.CapAdd or [])
    init = host.init_path if hc.Init else None
    if hc.Init and not host.init_path:
        raise InvalidArgument("--init needs catatonit, which is not installed")
    env = list(c.config.Env or [])
    if not any(e.startswith("HOSTNAME=") for e in env):
        env.insert(0, f"HOSTNAME={c.config.Hostname}")
    if not any(e.startswith("HOME=") for e in env):
        env.append(f"HOME={r.home}")
    if c.config.Tty and not any(e.startswith("TERM=") for e in env):
        env.append("TERM=xterm")
    rlimits = [(u.Name, u.Soft, u.Hard) for u in hc.Ulimits or []]
    swap = hc.MemorySwap
    cpu_quota, cpu_period = hc.CpuQuota, hc.CpuPeriod
    if hc.NanoCpus:
        cpu_period = 100_000
        cpu_quota = hc.NanoCpus * cpu_period // 1_000_000_000
    return SpecInput(
        args=r.args,
        rootfs=r.rootfs,
        env=env,
        cwd=c.config.WorkingDir or "/",
        uid=r.uid,
        gid=r.gid,
        additional_gids=r.additional_gids,
        hostname=c.config.Hostname,
        domainname=c.config.Domainname,
        terminal=c.config.Tty,
        readonly_rootfs=hc.ReadonlyRootfs,
        mounts=r.mounts,
        tmpfs=dict(hc.Tmpfs or {}),
        cap_add=list(hc.CapAdd or []),
        cap_drop=list(hc.CapDrop or []),
        privileged=hc.Privileged,
        no_new_privileges=nnp,
        seccomp=seccomp,
        rlimits=rlimits,
        rlimit_ceiling=host.rlimit_ceiling,
        memory=hc.Memory,
        memory_swap=swap,
        memory_reservation=hc.MemoryReservation,
        oom_kill_disable=bool(hc.OomKillDisable),
        cpu_shares=hc.CpuShares,
        cpu_quota=cpu_quota,
        cpu_period=cpu_period,
        cpuset_cpus=hc.CpusetCpus,
        cpuset_mems=hc.CpusetMems,
        pids_limit=hc.PidsLimit if hc.PidsLimit and hc.PidsLimit > 0 else None,
        oom_score_adj=hc.OomScoreAdj or None,
        cgroups_path=f"{host.cgroup_parent}/{c.id}",
        netns_path=r.netns_path,
        ipc_ns_path="host" if hc.IpcMode == "host" else None,
        pid_ns_path="host" if hc.PidMode == "host" else None,
        uts_ns_path="host" if hc.UTSMode == "host" else None,
        shm_size=hc.ShmSize,
        sysctls=dict(hc.Sysctls or {}),
        masked_paths=hc.MaskedPaths,
        readonly_paths=hc.ReadonlyPaths,
        init=init,
        annotations={**(host.seccomp_annotations(seccomp) if host.seccomp_annotations
                        and c.runtime == "crun" else {}), **(hc.Annotations or {})},
    )
