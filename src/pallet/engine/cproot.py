"""A container's filesystem as ``docker cp`` sees it, held by file descriptors.

Every path ``cp`` touches is resolved from a directory fd with openat2's
``RESOLVE_IN_ROOT``: the kernel walks it with that fd as ``/``, so absolute
symlinks and ``..`` stay inside, and a process in the container that swaps a
directory for a symlink to a host path while the copy runs cannot move the walk
out (the class of CVE-2018-15664). Nothing is ever resolved once in userspace and
then opened again by name.

Two ways to reach the root:

* A running (or paused) container through its init process: ``/proc/PID/root``
  opened as a directory is the container's ``/`` in its own mount namespace, so its
  volumes, bind mounts, tmpfs and the per-container ``/etc`` files are all where the
  container sees them. The fd is accepted only if it is the container's rootfs (the
  same device and inode as the rootfs mounted on the host): a PID reused by a host
  process after the container exited is refused, and the caller falls back to the
  stopped path.
* A stopped container: its rootfs mounted on the host for the copy, and each mount
  point that would shadow part of it (volumes, binds, the ``/etc`` files) opened as
  an anchor of its own; a path goes to the anchor of the longest mount destination
  that is a prefix of it, lexically.

:meth:`ContainerFS.resolve` answers the components of a path with its symlinks
resolved inside the anchor (for ``cp``'s link targets and for following a final
link); it reads links through fds, so a swap can change what it answers but never
where the following open lands.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

from pallet.errors import InvalidArgument
from pallet.oci.layerpaths import clean_parts
from pallet.oci.openat2 import open_in_root
from pallet.system.securejoin import resolve_parts

_DIR = os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC
# Kernel filesystems a container sees but whose content is not the container's files.
_PSEUDO_FS = frozenset({"proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "securityfs",
                        "debugfs", "tracefs", "bpf", "fusectl", "configfs", "pstore"})


def clean(path: str) -> list[str]:
    """The components of ``path``, ``.`` dropped and ``..`` applied lexically (never above /)."""
    return clean_parts(path, clamp=True)


class Anchor:
    """A directory fd that is ``/`` for every path resolved from it."""

    def __init__(self, fd: int, base: list[str] | None = None) -> None:
        self.fd = fd
        self.base = base or []  # a file mount: its parent directory, then its name

    def open(self, parts: list[str], flags: int = _DIR) -> int:
        return open_in_root(self.fd, "/".join([*self.base, *parts]), flags)

    def split(self, parts: list[str]) -> tuple[int, str]:
        """An fd of the directory that holds ``parts`` and the name in it (``.`` for /)."""
        full = [*self.base, *parts]
        if not full:
            return os.dup(self.fd), "."
        return open_in_root(self.fd, "/".join(full[:-1]), _DIR), full[-1]

    def readlink(self, parts: list[str]) -> str | None:
        """The target of the symlink at ``parts``; None when it is not one or is missing."""
        if not parts:
            return None
        try:
            parent = self.open(parts[:-1])
        except OSError:
            return None
        try:
            return os.readlink(parts[-1], dir_fd=parent)
        except OSError:
            return None
        finally:
            os.close(parent)


class ContainerFS:
    """The anchors of one container's filesystem; close it when the copy is done."""

    def __init__(self, root: int, mounts: Mapping[str, Anchor] | None = None,
                 skip_devs: frozenset[int] = frozenset()) -> None:
        self.root = Anchor(root)
        self.mounts = dict(mounts or {})
        self.skip_devs = skip_devs  # directories on these devices are listed, not entered

    def close(self) -> None:
        for anchor in [self.root, *self.mounts.values()]:
            with contextlib.suppress(OSError):
                os.close(anchor.fd)

    def locate(self, path: str) -> tuple[Anchor, list[str], list[str]]:
        """The anchor that holds ``path``, where it is mounted, and the components below."""
        parts = clean(path)
        for n in range(len(parts), 0, -1):
            anchor = self.mounts.get("/".join(parts[:n]))
            if anchor is not None:
                return anchor, parts[:n], parts[n:]
        return self.root, [], parts

    def resolve(self, anchor: Anchor, parts: list[str], follow_last: bool) -> list[str]:
        return resolve_parts("/".join(parts), anchor.readlink, follow_last=follow_last)


def running_root(pid: int, rootfs: Path) -> ContainerFS | None:
    """The filesystem of the container whose init is ``pid``; None if ``pid`` is not it."""
    try:
        fd = os.open(f"/proc/{pid}/root", _DIR)
    except OSError:
        return None
    try:
        seen, want = os.fstat(fd), os.stat(rootfs)
        if (seen.st_dev, seen.st_ino) != (want.st_dev, want.st_ino):
            os.close(fd)
            return None
        return ContainerFS(fd, skip_devs=_pseudo_devices(pid))
    except OSError:
        os.close(fd)
        return None


def stopped_root(rootfs: Path, mounts: Mapping[str, Path]) -> ContainerFS:
    """A stopped container's mounted ``rootfs`` and the host sources mounted over it."""
    fs = ContainerFS(os.open(rootfs, _DIR))
    try:
        for dest, source in mounts.items():
            key = "/".join(clean(dest))
            if not key:
                continue
            try:
                if source.is_dir():
                    fs.mounts[key] = Anchor(os.open(source, _DIR))
                else:
                    fs.mounts[key] = Anchor(os.open(source.parent, _DIR), [source.name])
            except OSError as e:
                raise InvalidArgument(f"cannot open the mount at {dest}: {e.strerror}") from None
    except BaseException:
        fs.close()
        raise
    return fs


def _pseudo_devices(pid: int) -> frozenset[int]:
    """Devices of the kernel filesystems mounted in ``pid``'s mount namespace."""
    devs: set[int] = set()
    try:
        text = Path(f"/proc/{pid}/mountinfo").read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        left, _, right = line.partition(" - ")
        fields, rest = left.split(), right.split()
        if len(fields) > 2 and rest and rest[0] in _PSEUDO_FS:
            major, _, minor = fields[2].partition(":")
            with contextlib.suppress(ValueError):
                devs.add(os.makedev(int(major), int(minor)))
    return frozenset(devs)
