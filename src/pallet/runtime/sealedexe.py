"""The OCI runtime started from a sealed in-memory copy of its binary.

crun and runc guard against CVE-2019-5736 (a container process overwriting the host's
runtime binary through ``/proc/<pid>/exe``) by re-executing themselves from a copy no
one can write, on every call: a read-only bind mount that is unmounted with
``MNT_DETACH`` (which waits for an RCU grace period) or a sealed memfd, then a second
``execve`` and dynamic link. That is ~7 ms of a ``crun exec``'s wall time here. Both
skip it when ``/proc/self/exe`` already is a memfd sealed against writing, shrinking,
growing and further sealing — the copy they would make themselves.

``SealedExe`` makes that copy once per binary and hands out
``/proc/<daemon pid>/fd/<memfd>`` as the file to execute (the fd is close-on-exec, so
no child inherits it; the kernel opens the memfd through the daemon's fd table). The
binary on disk is copied again when its identity (device, inode, size, mtime)
changes, so an upgraded runtime is used from its next call. A binary that is not ELF
(a wrapper script would see ``$0`` as the /proc path) and a host without memfds or
seals run the path on disk, as before.
"""

from __future__ import annotations

import fcntl
import logging
import os

log = logging.getLogger("pallet.runtime")

SEALS = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE


class SealedExe:
    """The file to ``execve`` for the binary at ``path``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = -1
        self._identity: tuple[int, int, int, int] | None = None
        # copies replaced after an upgrade stay open: a child of another thread may be
        # resolving the old /proc path right now (one fd per upgrade seen)
        self._previous: list[int] = []

    def executable(self) -> str:
        """``/proc/<pid>/fd/<n>`` of the sealed copy, or ``path`` when there is none."""
        try:
            st = os.stat(self.path)
        except OSError:
            return self.path  # the caller's execve reports it
        identity = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        if identity != self._identity:
            self._identity = identity
            if self._fd >= 0:
                self._previous.append(self._fd)
            self._fd = sealed_copy(self.path)
        return f"/proc/{os.getpid()}/fd/{self._fd}" if self._fd >= 0 else self.path

    def close(self) -> None:
        for fd in (self._fd, *self._previous):
            if fd >= 0:
                os.close(fd)
        self._fd, self._previous, self._identity = -1, [], None


def sealed_copy(path: str) -> int:
    """A close-on-exec memfd holding the bytes of ``path``, sealed; -1 if that fails,
    or if the file changed while it was read (a torn copy would run half of each)."""
    fd = -1
    try:
        fd = os.memfd_create(os.path.basename(path), os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        with open(path, "rb") as src:
            if src.read(4) != b"\x7fELF":
                raise OSError(f"{path} is not an ELF binary")
            src.seek(0)
            before, copied = os.fstat(src.fileno()), 0
            while copied < before.st_size and (
                    chunk := src.read(min(1 << 20, before.st_size - copied))):
                copied += len(chunk)
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
            after = os.fstat(src.fileno())
            if not before.st_size == copied == after.st_size or (
                    before.st_mtime_ns != after.st_mtime_ns):
                raise OSError(f"{path} changed while it was copied")  # rewritten in place
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SEALS)
        if not os.access(f"/proc/{os.getpid()}/fd/{fd}", os.X_OK):
            raise PermissionError(f"/proc/self/fd/{fd} is not executable")
    except OSError as err:
        log.info("running %s from disk (no sealed copy: %s)", path, err)
        if fd >= 0:
            os.close(fd)
        return -1
    return fd
