"""OCI runtime-spec ``config.json`` generation with Docker's defaults (pure).

``generate_spec(SpecInput) -> dict``. The engine resolves images, users, mounts and
network paths; this module only turns the resolved values into the document crun/runc
read, the way moby's ``daemon/oci_linux.go`` + ``oci/defaults.go`` do.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pallet.errors import InvalidArgument
from pallet.runtime.caps import tweak_capabilities

OCI_VERSION = "1.0.2"
DEFAULT_SHM_SIZE = 64 * 1024 * 1024
INIT_PATH = "/dev/init"

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

# (type, major, minor or None for "*"): Docker's allowed device cgroup rules.
_DEFAULT_DEVICE_RULES: tuple[tuple[str, int | None, int | None], ...] = (
    ("c", None, None),  # mknod of any char device (access "m")
    ("b", None, None),  # mknod of any block device (access "m")
    ("c", 1, 3),  # /dev/null
    ("c", 1, 5),  # /dev/zero
    ("c", 1, 7),  # /dev/full
    ("c", 1, 8),  # /dev/random
    ("c", 1, 9),  # /dev/urandom
    ("c", 5, 0),  # /dev/tty
    ("c", 5, 1),  # /dev/console
    ("c", 5, 2),  # /dev/ptmx
    ("c", 136, None),  # /dev/pts/*
)

_IPC_SYSCTLS = ("kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced")
_UTS_SYSCTLS = ("kernel.domainname", "kernel.hostname")


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
    mounts: Sequence[Mapping[str, Any]] = ()
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
        "resources": _resources(inp),
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
        "mounts": _mounts(inp),
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


def _resources(inp: SpecInput) -> dict[str, Any]:
    res: dict[str, Any] = {"devices": _device_rules(inp)}
    mem: dict[str, Any] = {}
    if inp.memory > 0:
        mem["limit"] = inp.memory
        swap = inp.memory_swap if inp.memory_swap != 0 else 2 * inp.memory
        if swap > 0 and swap < inp.memory:
            raise InvalidArgument(
                "Minimum memoryswap limit should be larger than memory limit, "
                "see usage")
        mem["swap"] = swap
    elif inp.memory_swap > 0:
        raise InvalidArgument(
            "You should always set the Memory limit when using Memoryswap limit, see usage")
    if inp.memory_reservation > 0:
        mem["reservation"] = inp.memory_reservation
    if inp.oom_kill_disable:
        mem["disableOOMKiller"] = True
    if mem:
        res["memory"] = mem
    cpu: dict[str, Any] = {}
    if inp.cpu_shares > 0:
        cpu["shares"] = inp.cpu_shares
    if inp.cpu_quota > 0:
        cpu["quota"] = inp.cpu_quota
    if inp.cpu_period > 0:
        cpu["period"] = inp.cpu_period
    if inp.cpuset_cpus:
        cpu["cpus"] = inp.cpuset_cpus
    if inp.cpuset_mems:
        cpu["mems"] = inp.cpuset_mems
    if cpu:
        res["cpu"] = cpu
    if inp.pids_limit is not None and inp.pids_limit > 0:
        res["pids"] = {"limit": inp.pids_limit}
    if inp.block_io:
        res["blockIO"] = dict(inp.block_io)
    return res


def _device_rules(inp: SpecInput) -> list[dict[str, Any]]:
    if inp.privileged:
        return [{"allow": True, "access": "rwm"}]
    rules: list[dict[str, Any]] = [{"allow": False, "access": "rwm"}]
    for kind, major, minor in _DEFAULT_DEVICE_RULES:
        rule: dict[str, Any] = {"allow": True, "type": kind}
        if major is not None:
            rule["major"] = major
        if minor is not None:
            rule["minor"] = minor
        rule["access"] = "m" if major is None else "rwm"
        rules.append(rule)
    for d in inp.devices:
        rule = {"allow": True, "type": d.get("type", "c"), "access": d.get("access", "rwm")}
        for key in ("major", "minor"):
            if key in d:
                rule[key] = d[key]
        rules.append(rule)
    rules.extend(dict(r) for r in inp.device_cgroup_rules)
    return rules


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


def _clean_dest(dest: str) -> str:
    if not isinstance(dest, str) or not posixpath.isabs(dest):
        raise InvalidArgument(f"invalid mount config: mount path must be absolute: {dest}")
    if ".." in dest.split("/"):
        raise InvalidArgument(f"invalid mount config: mount path contains '..': {dest}")
    return posixpath.normpath(dest)


def _default_mounts(inp: SpecInput) -> list[dict[str, Any]]:
    ro = [] if inp.privileged else ["ro"]
    mounts: list[dict[str, Any]] = [
        {"destination": "/proc", "type": "proc", "source": "proc",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", *ro]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": [*ro, "nosuid", "noexec", "nodev"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
    ]
    if inp.ipc_ns_path == "host":
        mounts.append({"destination": "/dev/shm", "type": "bind", "source": "/dev/shm",
                       "options": ["rbind", "nosuid", "noexec", "nodev"]})
    else:
        size = inp.shm_size if inp.shm_size > 0 else DEFAULT_SHM_SIZE
        mounts.append({"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
                       "options": ["nosuid", "noexec", "nodev", "mode=1777",
                                   f"size={size}"]})
    return mounts


def tmpfs_options(user_options: str) -> list[str]:
    """Docker's ``--tmpfs`` options: ``noexec,nosuid,nodev`` unless overridden."""
    defaults = {"exec": "noexec", "suid": "nosuid", "dev": "nodev"}
    opts = [o.strip() for o in user_options.split(",") if o.strip()]
    out: list[str] = []
    for pos, neg in defaults.items():
        if pos not in opts and neg not in opts:
            out.append(neg)
    out.extend(opts)
    if not any(o in ("rprivate", "private", "rshared", "shared", "rslave", "slave")
               for o in out):
        out.append("rprivate")
    return out


def _mounts(inp: SpecInput) -> list[dict[str, Any]]:
    user: list[dict[str, Any]] = []
    for dest, opts in inp.tmpfs.items():
        user.append({"destination": _clean_dest(dest), "type": "tmpfs", "source": "tmpfs",
                     "options": tmpfs_options(opts)})
    for m in inp.mounts:
        entry = dict(m)
        entry["destination"] = _clean_dest(str(m.get("destination", "")))
        user.append(entry)
    if inp.init:
        user.append({"destination": INIT_PATH, "type": "bind", "source": inp.init,
                     "options": ["bind", "ro", "nosuid", "nodev"]})
    seen: set[str] = set()
    for m in user:
        if m["destination"] in seen:
            raise InvalidArgument(f"Duplicate mount point: {m['destination']}")
        seen.add(m["destination"])
    defaults = [m for m in _default_mounts(inp) if m["destination"] not in seen]
    if "/dev" in seen:  # a user /dev replaces Docker's /dev tree
        defaults = [m for m in defaults if not m["destination"].startswith("/dev/")]
    ordered = defaults + user
    # Parents before children (moby sorts by the number of path components).
    ordered.sort(key=lambda m: len([p for p in m["destination"].split("/") if p]))
    return ordered
