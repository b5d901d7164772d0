"""The ``Mount`` value (the seam between snapshots and the runtime) and mount helpers.

``mount_all`` uses mount(2) through ctypes. An overlay option string longer
than a page (many layers) is made relative to the storage root and mounted by
``mount(8)`` run with that root as its working directory, Docker's trick:
the kernel resolves relative ``lowerdir`` paths against the caller's cwd, and
changing the cwd of a threaded daemon is not an option.
"""

from __future__ import annotations

import ctypes
import errno
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pallet.errors import CommandFailed, Unsupported

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MNT_DETACH = 2
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_FLAG_OPTIONS = {"ro": MS_RDONLY, "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC}
_IGNORED = {"rw", "bind", "rbind"}
_PATH_KEYS = ("lowerdir", "upperdir", "workdir")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_ulong,
    ctypes.c_char_p,
]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


@dataclass(frozen=True)
class Mount:
    """One mount, as containerd describes it: ``mount -t type source -o options``."""

    type: str
    source: str
    options: tuple[str, ...] = ()

    def to_oci(self, destination: str = "/") -> dict[str, object]:
        return {
            "destination": destination,
            "type": self.type,
            "source": self.source,
            "options": list(self.options),
        }


def _sys_mount(source: str | None, target: str, fstype: str | None, flags: int, data: str) -> None:
    rc = _libc.mount(
        source.encode() if source is not None else None,
        target.encode(),
        fstype.encode() if fstype is not None else None,
        flags,
        data.encode() if data else None,
    )
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"mount {fstype or 'bind'} on {target}: {os.strerror(e)}")


def _split(options: Sequence[str]) -> tuple[int, list[str]]:
    flags, data = 0, []
    for o in options:
        if o in _FLAG_OPTIONS:
            flags |= _FLAG_OPTIONS[o]
        elif o not in _IGNORED:
            data.append(o)
    return flags, data


def mount_one(m: Mount, target: Path) -> None:
    flags, data = _split(m.options)
    if m.type == "bind" or "bind" in m.options or "rbind" in m.options:
        bflags = MS_BIND | (MS_REC if "rbind" in m.options else 0)
        _sys_mount(m.source, str(target), None, bflags, "")
        if flags & MS_RDONLY:
            _sys_mount(None, str(target), None, MS_REMOUNT | MS_BIND | flags, "")
        return
    joined = ",".join(data)
    if len(joined) < PAGE_SIZE:
        _sys_mount(m.source, str(target), m.type, flags, joined)
        return
    _mount_relative(m, target, flags, data)


def _mount_relative(m: Mount, target: Path, flags: int, data: list[str]) -> None:
    paths: list[str] = []
    for o in data:
        key, _, value = o.partition("=")
        if key in _PATH_KEYS:
            paths.extend(value.split(":"))
    base = os.path.commonpath(paths) if paths else "/"
    rel: list[str] = []
    for o in data:
        key, _, value = o.partition("=")
        if key in _PATH_KEYS:
            value = ":".join(os.path.relpath(p, base) for p in value.split(":"))
            o = f"{key}={value}"
        rel.append(o)
    joined = ",".join(rel)
    if len(joined) >= PAGE_SIZE:
        raise Unsupported(f"too many layers to mount ({len(paths)} directories)")
    opts = joined + ("".join(f",{k}" for k, v in _FLAG_OPTIONS.items() if flags & v))
    argv = ["mount", "-t", m.type, m.source, str(Path(target).absolute()), "-o", opts]
    proc = subprocess.run(argv, cwd=base, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CommandFailed(argv[:4], proc.returncode, proc.stderr)


def mount_all(mounts: Sequence[Mount], target: Path) -> None:
    """Mount each of ``mounts`` on ``target``, in order; undoes them all on failure."""
    done = 0
    try:
        for m in mounts:
            mount_one(m, target)
            done += 1
    except BaseException:
        for _ in range(done):
            unmount(target)
        raise


def unmount(target: Path, lazy: bool = True) -> None:
    """Unmount ``target`` (lazy detach by default); no error if nothing is mounted."""
    rc = _libc.umount2(str(target).encode(), MNT_DETACH if lazy else 0)
    if rc != 0:
        e = ctypes.get_errno()
        if e in (errno.EINVAL, errno.ENOENT):
            return
        raise OSError(e, f"umount {target}: {os.strerror(e)}")


def is_mounted(target: Path) -> bool:
    t = os.path.realpath(target)
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].encode().decode("unicode_escape")
            if mp == t:
                return True
    return False
