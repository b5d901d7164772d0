"""Network namespaces pinned to files (``<run>/netns/<cid>``), without ``ip netns``.

``unshare --net=FILE`` creates the namespace, bind-mounts it onto FILE and runs
``ip link set lo up`` inside it (netavark only configures eth0), in one exec.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from pallet.errors import CommandFailed

_libc = ctypes.CDLL(None, use_errno=True)
MNT_DETACH = 2


def unmount(path: Path) -> None:
    if _libc.umount2(str(path).encode(), MNT_DETACH) != 0:
        e = ctypes.get_errno()
        if e not in (22, 2):  # EINVAL (not mounted), ENOENT
            raise OSError(e, f"umount {path}: {os.strerror(e)}")


def is_mounted(path: Path) -> bool:
    target = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4].encode().decode("unicode_escape") == target for line in f)


def _run(argv: list[str]) -> None:
    res = subprocess.run(argv, capture_output=True, timeout=30)
    if res.returncode != 0:
        raise CommandFailed(argv, res.returncode, res.stderr.decode(errors="replace"))


def create(path: Path) -> Path:
    """A new netns with ``lo`` up, pinned at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDONLY, 0o600)
    os.close(fd)
    try:
        _run(["unshare", f"--net={path}", "ip", "link", "set", "lo", "up"])
    except BaseException:
        delete(path)
        raise
    return path


def exists(path: Path) -> bool:
    return path.exists() and is_mounted(path)


def delete(path: Path) -> None:
    """Unpin and remove the namespace file (no error if it is already gone)."""
    with contextlib.suppress(OSError):
        unmount(path)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def stand_in(path: Path, interfaces: Sequence[str]) -> Path:
    """An empty netns with dummy ``interfaces``, so a teardown after a crash can run."""
    create(path)
    for name in interfaces:
        with contextlib.suppress(CommandFailed):
            _run(["nsenter", f"--net={path}", "ip", "link", "add", name, "type", "veth",
                  "peer", "name", name + "p"])
    return path
