"""Host device nodes as OCI ``linux.devices`` entries (``--device``, ``--privileged``).

``device_entries(host, container, perms)`` follows moby's ``DevicesFromPath``: a
device node gives one entry, a directory every device node below it (mapped under
the container path). ``host_devices()`` is what ``--privileged`` exposes: every
device under ``/dev`` except the ones runc's ``GetDevices`` skips.
"""

from __future__ import annotations

import os
import posixpath
import stat
from typing import Any

from pallet.errors import InvalidArgument

_SKIP_DIRS = frozenset({"pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"})
_VALID_PERMS = frozenset("rwm")


def _entry(path: str, st: os.stat_result, dest: str) -> dict[str, Any]:
    kind = "c" if stat.S_ISCHR(st.st_mode) else "b"
    return {"path": dest, "type": kind, "major": os.major(st.st_rdev),
            "minor": os.minor(st.st_rdev), "fileMode": stat.S_IMODE(st.st_mode),
            "uid": st.st_uid, "gid": st.st_gid}


def _is_device(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)


def check_permissions(perms: str) -> str:
    if not perms or not set(perms) <= _VALID_PERMS:
        raise InvalidArgument(f"invalid device cgroup permissions: {perms!r} (use r, w, m)")
    return perms


def device_entries(host: str, container: str, perms: str = "rwm") -> list[dict[str, Any]]:
    """OCI device entries (each with the cgroup ``access``) for ``--device host:container``."""
    check_permissions(perms)
    dest = container or host
    if not posixpath.isabs(dest) or ".." in dest.split("/"):
        raise InvalidArgument(f"invalid device path in the container: {dest!r}")
    try:
        st = os.stat(host)
    except OSError as e:
        raise InvalidArgument(f"error gathering device information while adding custom "
                              f"device \"{host}\": {(e.strerror or str(e)).lower()}") from None
    if _is_device(st):
        return [{**_entry(host, st, posixpath.normpath(dest)), "access": perms}]
    if not stat.S_ISDIR(st.st_mode):
        raise InvalidArgument(f"error gathering device information while adding custom "
                              f"device \"{host}\": not a device node")
    out: list[dict[str, Any]] = []
    for root, _dirs, files in os.walk(host):
        for name in sorted(files):
            path = os.path.join(root, name)
            try:
                sub = os.stat(path)
            except OSError:
                continue
            if _is_device(sub):
                rel = os.path.relpath(path, host)
                out.append({**_entry(path, sub, posixpath.join(dest, rel)), "access": perms})
    return out


def host_devices(root: str = "/dev") -> list[dict[str, Any]]:
    """Every device node under ``root`` (what ``--privileged`` exposes), without access."""
    out: list[dict[str, Any]] = []
    for cur, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            if cur == root and name == "console":
                continue
            path = os.path.join(cur, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if _is_device(st):
                out.append(_entry(path, st, path))
    return out
