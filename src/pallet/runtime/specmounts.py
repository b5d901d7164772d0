"""The ``mounts`` part of the runtime spec: Docker's default mounts plus the user's.

Tmpfs, bind/volume and init mounts are validated (absolute, no ``..``, no duplicates),
merged over Docker's defaults (a user mount replaces the default at that path) and
ordered parents before children.
"""

from __future__ import annotations

import posixpath
from typing import Any

import msgspec

from pallet.errors import InvalidArgument
from pallet.runtime.specinput import SpecInput

DEFAULT_SHM_SIZE = 64 * 1024 * 1024
INIT_PATH = "/dev/init"


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


def spec_mounts(inp: SpecInput) -> list[dict[str, Any]]:
    """The OCI ``mounts`` list for ``inp``; raises InvalidArgument."""
    user: list[dict[str, Any]] = []
    for dest, opts in inp.tmpfs.items():
        user.append({"destination": _clean_dest(dest), "type": "tmpfs", "source": "tmpfs",
                     "options": tmpfs_options(opts)})
    for mount in inp.mounts:
        entry: dict[str, Any] = msgspec.to_builtins(mount)
        entry["destination"] = _clean_dest(mount.destination)
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
