"""Child processes for the daemon's event loop, started with vfork.

The daemon runs on uvloop, whose ``subprocess_exec`` starts a child with ``fork()``: the kernel
copies the daemon's page tables, about 14 ms for an 80 MB daemon, on every crun and conmon
call. CPython's ``subprocess.Popen`` starts it with ``vfork()``, well under a millisecond at
any size. ``spawn`` starts the child with Popen and hands it to the running loop: its pipes
as asyncio streams (``connect_read_pipe``/``connect_write_pipe``), its exit through a pidfd
the loop watches. Nothing else in the daemon reaps children (no ``waitpid(-1)``), and the
loop's own child watcher only waits for the children it started itself.

``Child`` offers the part of ``asyncio.subprocess.Process`` the daemon uses: ``pid``,
``stdin``/``stdout``/``stderr``, ``returncode``, ``wait``, ``communicate``, ``send_signal``
and ``kill``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from typing import IO

PIPE = subprocess.PIPE
DEVNULL = subprocess.DEVNULL
Target = int | IO[bytes] | None


class _PipeReader:
    """A non-blocking pipe read end fed into a StreamReader; the fd is closed at EOF."""

    def __init__(self, fd: int, reader: asyncio.StreamReader) -> None:
        self._fd, self._reader = fd, reader
        os.set_blocking(fd, False)
        asyncio.get_running_loop().add_reader(fd, self._on_readable)

    def _on_readable(self) -> None:
        try:
            chunk = os.read(self._fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if chunk:
            self._reader.feed_data(chunk)
            return
        asyncio.get_running_loop().remove_reader(self._fd)
        os.close(self._fd)
        self._reader.feed_eof()


class PipeWriter:
    """A child's stdin: ``write`` queues, ``drain`` waits until the pipe took it all."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buf = bytearray()
        self._flushed: asyncio.Future[None] | None = None
        self._error: OSError | None = None
        os.set_blocking(fd, False)

    def write(self, data: bytes) -> None:
        if self._fd < 0:
            raise BrokenPipeError(errno.EPIPE, "stdin is closed")
        self._buf += data
        self._flush()

    def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._buf and self._error is None:
            try:
                del self._buf[:os.write(self._fd, self._buf)]  # in place, no copy of the rest
            except BlockingIOError:
                loop.add_writer(self._fd, self._on_writable)
                return
            except OSError as e:
                self._error = e
        if self._flushed is not None and not self._flushed.done():
            self._flushed.set_result(None)

    def _on_writable(self) -> None:
        asyncio.get_running_loop().remove_writer(self._fd)
        self._flush()

    async def drain(self) -> None:
        if self._buf and self._error is None:
            self._flushed = asyncio.get_running_loop().create_future()
            await self._flushed
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        if self._fd >= 0:
            asyncio.get_running_loop().remove_writer(self._fd)
            os.close(self._fd)
            self._fd = -1
        if self._flushed is not None and not self._flushed.done():
            self._flushed.set_result(None)

    async def wait_closed(self) -> None:
        return None


class Child:
    """A running child process, watched by the event loop."""

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self._popen = popen
        self.pid = popen.pid
        self.stdin: PipeWriter | None = None
        self.stdout: asyncio.StreamReader | None = None
        self.stderr: asyncio.StreamReader | None = None
        loop = asyncio.get_running_loop()
        self._exited: asyncio.Future[int] = loop.create_future()
        self._pidfd = os.pidfd_open(popen.pid)
        loop.add_reader(self._pidfd, self._on_exit)

    @property
    def returncode(self) -> int | None:
        return self._popen.returncode

    def _on_exit(self) -> None:
        rc = self._popen.poll()
        if rc is None:  # a spurious wake-up: the pidfd is readable only once the child exits
            return
        asyncio.get_running_loop().remove_reader(self._pidfd)
        os.close(self._pidfd)
        if not self._exited.done():
            self._exited.set_result(rc)

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)

    async def communicate(self) -> tuple[bytes, bytes]:
        """All of stdout and stderr (b"" for a stream that is not a pipe), then the exit."""

        async def drain(reader: asyncio.StreamReader | None) -> bytes:
            return b"" if reader is None else await reader.read()

        out, err = await asyncio.gather(drain(self.stdout), drain(self.stderr))
        await self.wait()
        return out, err

    def send_signal(self, sig: int) -> None:
        if self._popen.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


async def spawn(
    argv: Sequence[str], *, stdin: Target = DEVNULL, stdout: Target = PIPE,
    stderr: Target = PIPE, env: Mapping[str, str] | None = None, cwd: str | None = None,
    pass_fds: Sequence[int] = (), start_new_session: bool = False,
    executable: str | None = None,
) -> Child:
    """Start ``argv`` (from ``executable`` when given, else ``argv[0]``); PIPE streams
    become streams on the child (``stdin``, ``stdout``, ``stderr``). Raises OSError when
    the program cannot be executed.

    The pipes are made here, not by Popen, so that no Python file object shares their fds
    with the loop (uvloop's pipe transports close an attached file's fd a second time,
    which can close an fd another thread just opened)."""
    ours: list[int] = []  # parent ends, handed to the Child
    theirs: list[int] = []  # child ends, closed once it started
    ends: list[Target] = []
    for target, child_reads in ((stdin, True), (stdout, False), (stderr, False)):
        if target == PIPE:
            r, w = os.pipe2(os.O_CLOEXEC)
            mine, its = (w, r) if child_reads else (r, w)
            ours.append(mine)
            theirs.append(its)
            ends.append(its)
        else:
            ours.append(-1)
            ends.append(target)
    try:
        popen = subprocess.Popen(
            list(argv), executable=executable, stdin=ends[0], stdout=ends[1], stderr=ends[2],
            env=env, cwd=cwd, pass_fds=tuple(pass_fds), start_new_session=start_new_session,
            close_fds=True)
    except BaseException:
        for fd in ours:
            if fd >= 0:
                os.close(fd)
        raise
    finally:
        for fd in theirs:
            os.close(fd)
    child = Child(popen)
    if ours[0] >= 0:
        child.stdin = PipeWriter(ours[0])
    child.stdout = _read_end(ours[1])
    child.stderr = _read_end(ours[2])
    return child


def _read_end(fd: int) -> asyncio.StreamReader | None:
    if fd < 0:
        return None
    reader = asyncio.StreamReader(limit=2**16)
    _PipeReader(fd, reader)
    return reader
