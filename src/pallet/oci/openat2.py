"""openat2(2) through ctypes: resolve a path with every symlink kept inside a root.

``RESOLVE_IN_ROOT`` makes the kernel treat ``dirfd`` as ``/`` for the whole
walk: absolute symlinks and ``..`` cannot leave it. Used by the layer applier so
a symlink planted by a layer (or present in the lower tree) never redirects a
write outside the target.
"""

from __future__ import annotations

import ctypes
import errno
import os

RESOLVE_NO_XDEV = 0x01
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_NO_SYMLINKS = 0x04
RESOLVE_BENEATH = 0x08
RESOLVE_IN_ROOT = 0x10

_SYS_OPENAT2 = {"x86_64": 437, "aarch64": 437}.get(os.uname().machine, 437)


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


_libc = ctypes.CDLL(None, use_errno=True)
_syscall = _libc.syscall
_syscall.restype = ctypes.c_long
_available: bool | None = None


_RACE_RETRIES = 64


def openat2(dirfd: int, path: str, flags: int, resolve: int, mode: int = 0) -> int:
    """Open ``path`` relative to ``dirfd`` with ``resolve`` flags; raises OSError.

    With ``RESOLVE_IN_ROOT`` or ``RESOLVE_BENEATH`` the kernel answers EAGAIN when a
    rename elsewhere raced the walk (it cannot prove ``..`` stayed inside); the walk is
    simply tried again, a bounded number of times.
    """
    global _available
    how = _OpenHow(flags | os.O_CLOEXEC, mode, resolve)
    raw = os.fsencode(path)
    for _ in range(_RACE_RETRIES):
        fd = _syscall(
            ctypes.c_long(_SYS_OPENAT2),
            ctypes.c_int(dirfd),
            ctypes.c_char_p(raw),
            ctypes.byref(how),
            ctypes.c_size_t(ctypes.sizeof(how)),
        )
        if fd >= 0 or ctypes.get_errno() != errno.EAGAIN:
            break
    if fd < 0:
        err = ctypes.get_errno()
        if err == errno.ENOSYS:
            _available = False
        raise OSError(err, os.strerror(err), path)
    _available = True
    return int(fd)


def available() -> bool:
    """Whether the kernel has openat2 (Linux 5.6+)."""
    global _available
    if _available is None:
        try:
            os.close(openat2(os.open("/", os.O_PATH), ".", os.O_PATH, RESOLVE_IN_ROOT))
        except OSError as e:
            _available = e.errno != errno.ENOSYS
    return bool(_available)


def open_in_root(rootfd: int, path: str, flags: int, mode: int = 0) -> int:
    """Open ``path`` as if ``rootfd`` were ``/``; symlinks resolve inside the root.

    Without openat2 it falls back to a walk that refuses every symlink.
    """
    if available():
        return openat2(rootfd, path or ".", flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, mode)
    return open_beneath_nofollow(rootfd, path, flags, mode)


def open_beneath_nofollow(rootfd: int, path: str, flags: int, mode: int = 0) -> int:
    """Open ``path`` under ``rootfd`` following no symlink at all (ELOOP/ENOTDIR if one)."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise OSError(errno.EXDEV, "path leaves the root", path)
    if available():
        return openat2(
            rootfd, "/".join(parts) or ".", flags, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, mode
        )
    fd = os.dup(rootfd)
    try:
        for p in parts[:-1]:
            nfd = os.open(p, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            os.close(fd)
            fd = nfd
        last = parts[-1] if parts else "."
        return os.open(last, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=fd)
    finally:
        os.close(fd)
