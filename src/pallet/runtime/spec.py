"""OCI runtime-spec ``config.json`` generation with Docker's defaults (pure).

``generate_spec(SpecInput) -> dict``. The engine resolves images, users, mounts and
network paths; this module only turns the resolved values into the document crun/runc
read, the way moby's ``daemon/oci_linux.go`` + ``oci/defaults.go`` do. Process, user,
namespaces, rlimits, sysctls and masked paths are built here; ``linux.resources`` comes
from :mod:`pallet.runtime.specresources` and ``mounts`` from :mod:`pallet.runtime.specmounts`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

from pallet.errors import InvalidArgument
from pallet.runtime.caps import tweak_capabilities
from pallet.runtime.specinput import SpecInput
from pallet.runtime.specmounts import INIT_PATH, spec_mounts
from pallet.runtime.specresources import linux_resources

OCI_VERSION = "1.0.2"

MASKED_PATHS: tuple[str, ...] = (
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
)
READONLY_PATHS: tuple[str, ...] = (
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
)

_IPC_SYSCTLS = ("kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced")
_UTS_SYSCTLS = ("kernel.domainname", "kernel.hostname")


def generate_spec(inp: SpecInput) -> dict[str, Any]:
    """The OCI ``config.json`` document for ``inp``; raises InvalidArgument."""
    if not inp.args:
        raise InvalidArgument("no command specified")
    if not posixpath.isabs(inp.rootfs):
        raise InvalidArgument(f"rootfs must be an absolute path: {inp.rootfs}")
    if not posixpath.isabs(inp.cwd):
        raise InvalidArgument(
            f"the working directory '{inp.cwd}' is invalid, it needs to be an absolute path")
    caps = tweak_capabilities(inp.cap_add, inp.cap_drop, inp.privileged, inp.available_caps)
    args = list(inp.args)
    if inp.init:
        args = [INIT_PATH, "--", *args]
    process: dict[str, Any] = {
        "terminal": inp.terminal,
        "user": _user(inp),
        "args": args,
        "env": list(inp.env),
        "cwd": inp.cwd,
        "capabilities": {"bounding": list(caps), "effective": list(caps),
                         "permitted": list(caps)},
        "noNewPrivileges": inp.no_new_privileges,
    }
    rlimits = clamp_rlimits(inp.rlimits, inp.rlimit_ceiling)
    if rlimits:
        process["rlimits"] = rlimits
    if inp.oom_score_adj is not None:
        process["oomScoreAdj"] = inp.oom_score_adj

    linux: dict[str, Any] = {
        "namespaces": _namespaces(inp),
        "resources": linux_resources(inp),
    }
    if inp.devices:
        linux["devices"] = [{k: v for k, v in d.items() if k != "access"}
                            for d in inp.devices]
    if inp.cgroups_path:
        if not posixpath.isabs(inp.cgroups_path):
            raise InvalidArgument(f"cgroups path must be absolute: {inp.cgroups_path}")
        linux["cgroupsPath"] = inp.cgroups_path
    sysctls = _sysctls(inp)
    if sysctls:
        linux["sysctl"] = sysctls
    if inp.privileged:
        linux["maskedPaths"] = []
        linux["readonlyPaths"] = []
    else:
        masked = MASKED_PATHS if inp.masked_paths is None else inp.masked_paths
        ro = READONLY_PATHS if inp.readonly_paths is None else inp.readonly_paths
        linux["maskedPaths"] = list(masked)
        linux["readonlyPaths"] = list(ro)
        if inp.seccomp is not None:
            linux["seccomp"] = dict(inp.seccomp)

    spec: dict[str, Any] = {
        "ociVersion": OCI_VERSION,
        "process": process,
        "root": {"path": inp.rootfs, "readonly": inp.readonly_rootfs},
        "mounts": spec_mounts(inp),
        "linux": linux,
    }
    if inp.hostname:
        spec["hostname"] = inp.hostname
    if inp.domainname:
        spec["domainname"] = inp.domainname
    if inp.annotations:
        spec["annotations"] = dict(inp.annotations)
    return spec


def _user(inp: SpecInput) -> dict[str, Any]:
    for n in (inp.uid, inp.gid, *inp.additional_gids):
        if not 0 <= n <= 0x7FFFFFFF:
            raise InvalidArgument("uids and gids must be in range 0-2147483647")
    user: dict[str, Any] = {"uid": inp.uid, "gid": inp.gid}
    if inp.additional_gids:
        user["additionalGids"] = list(dict.fromkeys(inp.additional_gids))
    return user


def rlimit_name(name: str) -> str:
    """``nofile`` / ``RLIMIT_NOFILE`` -> ``RLIMIT_NOFILE``."""
    n = name.strip().upper()
    return n if n.startswith("RLIMIT_") else "RLIMIT_" + n


def clamp_rlimits(
    rlimits: Sequence[tuple[str, int, int]], ceiling: Mapping[str, int]
) -> list[dict[str, Any]]:
    """OCI rlimits, each hard (and soft) limit clamped to the daemon's own hard limit.

    The daemon may lack CAP_SYS_RESOURCE; asking the runtime for more than its own hard
    limit makes every container fail (``setrlimit: Operation not permitted``).
    Negative values mean unlimited (Docker's ``-1``).
    """
    ceil = {rlimit_name(k): v for k, v in ceiling.items()}
    out: dict[str, dict[str, Any]] = {}
    unlimited = 2**64 - 1
    for name, soft, hard in rlimits:
        key = rlimit_name(name)
        s = unlimited if soft < 0 else soft
        h = unlimited if hard < 0 else hard
        if s > h:
            raise InvalidArgument(
                f"ulimit soft limit must be less than or equal to hard limit: {s} > {h}")
        top = ceil.get(key)
        if top is not None and top >= 0:
            h = min(h, top)
            s = min(s, h)
        out[key] = {"type": key, "hard": h, "soft": s}
    return list(out.values())


def _ns(kind: str, path: str | None) -> dict[str, str] | None:
    if path == "host":
        return None
    if path is None:
        return {"type": kind}
    return {"type": kind, "path": path}


def _namespaces(inp: SpecInput) -> list[dict[str, str]]:
    entries = [
        _ns("pid", inp.pid_ns_path),
        _ns("network", inp.netns_path),
        _ns("ipc", inp.ipc_ns_path),
        _ns("uts", inp.uts_ns_path),
        {"type": "mount"},
    ]
    if inp.cgroupns:
        entries.append({"type": "cgroup"})
    return [e for e in entries if e is not None]


def _sysctls(inp: SpecInput) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in inp.sysctls.items():
        if key.startswith("net."):
            if inp.netns_path == "host":
                raise InvalidArgument(
                    f"sysctl '{key}' not allowed in host network namespace")
        elif key in _IPC_SYSCTLS or key.startswith("fs.mqueue."):
            if inp.ipc_ns_path == "host":
                raise InvalidArgument(f"sysctl '{key}' is not allowed in host IPC namespace")
        elif key in _UTS_SYSCTLS:
            if inp.uts_ns_path == "host":
                raise InvalidArgument(f"sysctl '{key}' is not allowed in host UTS namespace")
        else:
            raise InvalidArgument(
                f"sysctl '{key}' is not whitelisted (not namespaced)")
        out[key] = value
    return out
