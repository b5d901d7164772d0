"""Container record -> ``SpecInput`` for the runtime-spec generator (pure).

The engine resolves names (user, image) first; this module only translates
Docker's HostConfig vocabulary into the generator's input.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pallet.api.models import HostConfig
from pallet.build.instructions import DEFAULT_PATH
from pallet.engine.devices import check_permissions, device_entries, host_devices
from pallet.engine.records import Container
from pallet.errors import InvalidArgument
from pallet.oci.runtimemount import OciMount
from pallet.runtime.caps import tweak_capabilities
from pallet.runtime.seccomp import to_oci
from pallet.runtime.specinput import SpecInput

# the default profile for a container's effective capabilities (``CAP_*`` names)
SeccompFor = Callable[[Sequence[str]], Mapping[str, Any] | None]
DeviceEntries = Callable[[str, str, str], list[dict[str, Any]]]
SeccompAnnotations = Callable[[Mapping[str, Any] | None], dict[str, str]]


@dataclass(frozen=True)
class HostDefaults:
    """Facts about this host that every spec needs (from the daemon's host check)."""

    rlimit_ceiling: Mapping[str, int] = field(default_factory=dict)
    init_path: str | None = None
    cgroup_parent: str = "/pallet"
    # the daemon's bounding set: ``--privileged`` and ``--cap-add ALL`` expand to it
    available_caps: frozenset[str] | None = None
    seccomp_for: SeccompFor | None = None
    # crun only: a precompiled filter passed as an annotation (see runtime.seccomp_bpf)
    seccomp_annotations: SeccompAnnotations | None = None
    # host I/O, swappable in tests: ``--device`` lookups and ``--privileged``'s /dev
    device_entries: DeviceEntries = device_entries
    host_devices: Callable[[], list[dict[str, Any]]] = host_devices
    # ``--network host`` containers take the host's name, as dockerd gives them
    host_name: Callable[[], str] = socket.gethostname


@dataclass(frozen=True)
class Resolved:
    """What the engine looked up for this start."""

    uid: int
    gid: int
    additional_gids: tuple[int, ...]
    args: tuple[str, ...]
    rootfs: str
    mounts: tuple[OciMount, ...]
    netns_path: str | None = None
    home: str = "/"
    env: tuple[str, ...] = ()  # plugins' variables; the container's own win


def _security(opts: Sequence[str]) -> tuple[bool, str | None]:
    """(no_new_privileges, seccomp profile choice) from ``--security-opt``."""
    nnp = False
    seccomp: str | None = None
    for opt in opts:
        key, _, value = opt.partition("=") if "=" in opt else opt.partition(":")
        if key == "no-new-privileges":
            if value.lower() not in ("", "true", "false"):
                raise InvalidArgument(f"invalid --security-opt: {opt!r}: "
                                      "no-new-privileges takes true or false")
            nnp = (value or "true").lower() == "true"
        elif key == "seccomp":
            if not value:
                raise InvalidArgument(f"invalid --security-opt: {opt!r}: seccomp needs a "
                                      "value: unconfined, builtin or a profile")
            seccomp = value
        elif key in ("apparmor", "label"):
            continue  # no LSM on this host; accepted as Docker does where absent
        else:
            raise InvalidArgument(f"invalid --security-opt: {opt!r}")
    return nnp, seccomp


def custom_seccomp(text: str, caps: Sequence[str]) -> dict[str, Any]:
    """The OCI filter of a profile sent as JSON (``seccomp=<json>``, Docker's profile
    format or OCI's), resolved for the container's capabilities and this machine."""
    try:
        profile = json.loads(text)
    except ValueError as e:
        raise InvalidArgument(f"Decoding seccomp profile failed: {e}") from None
    if not isinstance(profile, dict) or not isinstance(profile.get("defaultAction"), str):
        raise InvalidArgument("Decoding seccomp profile failed: not a seccomp profile "
                              "(it needs a defaultAction)")
    syscalls = profile.get("syscalls") or []
    if not isinstance(syscalls, list) or not all(isinstance(r, dict) and "action" in r
                                                 for r in syscalls):
        raise InvalidArgument("Decoding seccomp profile failed: each syscalls entry needs "
                              "names and an action")
    return to_oci({**profile, "syscalls": syscalls}, caps)


def capabilities(hc: HostConfig, host: HostDefaults) -> list[str]:
    """The container's effective capabilities (``CAP_*``), as the spec will hold them."""
    return tweak_capabilities(hc.CapAdd or [], hc.CapDrop or [], hc.Privileged,
                              host.available_caps)


def seccomp_filter(hc: HostConfig, host: HostDefaults) -> Mapping[str, Any] | None:
    """The ``linux.seccomp`` object for ``hc``: none when privileged or unconfined."""
    _, choice = _security(hc.SecurityOpt or [])
    if hc.Privileged or choice == "unconfined":
        return None
    if choice is None or choice == "builtin":
        return host.seccomp_for(capabilities(hc, host)) if host.seccomp_for is not None else None
    return custom_seccomp(choice, capabilities(hc, host))


def devices(hc: HostConfig, host: HostDefaults) -> list[dict[str, Any]]:
    """OCI devices: ``--device`` entries, plus every host device when privileged."""
    out: dict[str, dict[str, Any]] = {}
    if hc.Privileged:
        out = {d["path"]: d for d in host.host_devices()}
    for d in hc.Devices or []:
        if not d.PathOnHost:
            raise InvalidArgument("--device needs a path on the host")
        perms = check_permissions(d.CgroupPermissions or "rwm")
        for entry in host.device_entries(d.PathOnHost, d.PathInContainer or d.PathOnHost, perms):
            out[entry["path"]] = entry
    return list(out.values())


def check_userns(hc: HostConfig) -> None:
    if hc.UsernsMode not in ("", "host"):
        raise InvalidArgument(
            f"invalid --userns mode {hc.UsernsMode!r}: pallet, like Docker without "
            "userns-remap, supports only --userns=host (no user namespace)")


def validate(c: Container, host: HostDefaults) -> None:
    """Refuse at create what the start would refuse (security options, devices, userns)."""
    hc = c.host_config
    check_userns(hc)
    seccomp_filter(hc, host)
    for d in hc.Devices or []:
        perms = check_permissions(d.CgroupPermissions or "rwm")
        host.device_entries(d.PathOnHost, d.PathInContainer or d.PathOnHost, perms)


def build_spec_input(c: Container, r: Resolved, host: HostDefaults) -> SpecInput:
    hc = c.host_config
    check_userns(hc)
    nnp, _ = _security(hc.SecurityOpt or [])
    seccomp = seccomp_filter(hc, host)
    init = host.init_path if hc.Init else None
    if hc.Init and not host.init_path:
        raise InvalidArgument("--init needs catatonit, which is not installed")
    own = list(c.config.Env or [])
    own_keys = {e.partition("=")[0] for e in own}
    env = [e for e in r.env if e.partition("=")[0] not in own_keys] + own
    if not any(e.startswith("HOSTNAME=") for e in env):
        env.insert(0, f"HOSTNAME={c.config.Hostname}")
    if not any(e.startswith("PATH=") for e in env):
        env.insert(0, DEFAULT_PATH)  # dockerd's default for images that set none
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
        available_caps=host.available_caps,
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
        devices=devices(hc, host),
        init=init,
        annotations={**(host.seccomp_annotations(seccomp) if host.seccomp_annotations
                        and c.runtime == "crun" else {}), **(hc.Annotations or {})},
    )
