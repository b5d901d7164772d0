"""``<runtime> exec`` as a child of the daemon, with pipes or a pty.

Without a TTY the process's stdout/stderr are our pipes. With a TTY the runtime sends the
pty master over ``--console-socket`` (SCM_RIGHTS) and we read/write the master. The exit
code is the runtime's (crun/runc exit with the process's code); a process that could not
be started gives Docker's 127 (not found) or 126 (not executable).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import socket
import struct
import tempfile
import termios
from pathlib import Path
from typing import Any

from pallet.errors import CommandFailed
from pallet.runtime.spawn import DEVNULL, PIPE, Child, spawn

CONSOLE_TIMEOUT = 30.0
_RUNTIME_FAILED = 255
_NOT_FOUND = re.compile(
    r"(executable file.* not found|no such file or directory)", re.IGNORECASE)
_NOT_EXEC = re.compile(r"(permission denied|exec format error|is a directory)", re.IGNORECASE)
_ERR_KEEP = 8192


class ExecProcess:
    """A running exec. ``read()`` yields (1 | 2, bytes) frames and None at the end."""

    def __init__(self, proc: Child, tty: bool, master: int,
                 pid_file: Path, scratch: Path) -> None:
        self._proc = proc
        self.tty = tty
        self._master = master
        self._pid_file = pid_file
        self._scratch = scratch
        self._queue: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()
        self._open_streams = 0
        self._err_head = b""
        self._loop = asyncio.get_running_loop()
        self._tasks: list[asyncio.Task[None]] = []
        self._code: int | None = None
        if tty:
            self._open_streams = 1
            os.set_blocking(master, False)
            self._loop.add_reader(master, self._on_master)
        else:
            for stream, reader in ((1, proc.stdout), (2, proc.stderr)):
                if reader is not None:
                    self._open_streams += 1
                    self._tasks.append(asyncio.create_task(self._pump(stream, reader)))
            if not self._open_streams:
                self._queue.put_nowait(None)

    @property
    def runtime_pid(self) -> int:
        """pid of the ``<runtime> exec`` process (our child)."""
        return self._proc.pid

    @property
    def pid(self) -> int | None:
        """Host pid of the exec'd process once the runtime wrote it, else None."""
        try:
            return int(self._pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def _stream_done(self) -> None:
        self._open_streams -= 1
        if self._open_streams == 0:
            self._queue.put_nowait(None)

    async def _pump(self, stream: int, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                if stream == 2 and len(self._err_head) < _ERR_KEEP:
                    self._err_head += chunk[: _ERR_KEEP - len(self._err_head)]
                self._queue.put_nowait((stream, chunk))
        finally:
            self._stream_done()

    def _on_master(self) -> None:
        try:
            chunk = os.read(self._master, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO: every slave fd closed
            chunk = b""
        if chunk:
            self._queue.put_nowait((1, chunk))
            return
        self._loop.remove_reader(self._master)
        self._stream_done()

    async def read(self) -> tuple[int, bytes] | None:
        """Next output frame; None after all output was read."""
        item = await self._queue.get()
        if item is None:
            self._queue.put_nowait(None)
        return item

    async def write(self, data: bytes) -> None:
        if self.tty:
            view = memoryview(data)
            while view:
                try:
                    n = os.write(self._master, view)
                    view = view[n:]
                except BlockingIOError:
                    await asyncio.sleep(0.01)
            return
        if self._proc.stdin is None:
            raise BrokenPipeError(errno.EPIPE, "exec was created without stdin")
        self._proc.stdin.write(data)
        await self._proc.stdin.drain()

    async def close_stdin(self) -> None:
        if self.tty:
            with contextlib.suppress(OSError):
                os.write(self._master, b"\x04")  # EOF for the line discipline
            return
        if self._proc.stdin is not None:
            self._proc.stdin.close()
            with contextlib.suppress(Exception):
                await self._proc.stdin.wait_closed()

    def resize(self, height: int, width: int) -> None:
        if self.tty and self._master >= 0:
            fcntl.ioctl(self._master, termios.TIOCSWINSZ,
                        struct.pack("HHHH", height, width, 0, 0))

    def kill(self, sig: int) -> None:
        """Signal the exec'd process (or the runtime before it started it)."""
        pid = self.pid
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid if pid else self._proc.pid, sig)

    async def wait(self) -> int:
        """Exit code: the process's, or 126/127 when it could not be started."""
        if self._code is not None:
            return self._code
        rc = await self._proc.wait()
        if rc == _RUNTIME_FAILED and not self.tty:
            # crun/runc print why before starting anything; stderr must be complete
            await asyncio.gather(*self._tasks, return_exceptions=True)
        code = _docker_exit_code(rc, self._err_head if not self.tty else self._stderr_tail())
        self._code = code
        return code

    def _stderr_tail(self) -> bytes:
        try:
            return (self._scratch / "runtime.log").read_bytes()[-_ERR_KEEP:]
        except OSError:
            return b""

    async def close(self) -> None:
        """Release fds and temp files (after ``wait``)."""
        if self._master >= 0:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self._master)
            os.close(self._master)
            self._master = -1
        for t in self._tasks:
            t.cancel()
        # the files go in a worker thread: on a disk-backed run dir unlink and rmdir take
        # milliseconds the client would wait for (its stream ends after close)
        self._loop.run_in_executor(None, _remove_scratch, self._scratch)


def _remove_scratch(scratch: Path) -> None:
    with contextlib.suppress(OSError):
        for p in scratch.iterdir():
            p.unlink()
        scratch.rmdir()


def _docker_exit_code(rc: int, stderr: bytes) -> int:
    """An exec's exit code as Docker reports it: 128+n for a signal, and 126 for a command
    that could not be started, missing or not executable (dockerd's exec rule; ``run``'s
    127 for a missing command does not apply to exec)."""
    if rc < 0:
        return 128 - rc  # killed by a signal: Docker's 128+n
    if rc != _RUNTIME_FAILED:
        return rc
    text = stderr.decode(errors="replace")
    if _NOT_FOUND.search(text) or _NOT_EXEC.search(text):
        return 126
    return rc


async def start_exec(
    runtime_argv: list[str], cid: str, process: dict[str, Any], *, tty: bool, stdin: bool,
    socket_dir: Path, executable: str | None = None,
) -> ExecProcess:
    """Spawn ``runtime_argv + exec --process F [--tty --console-socket S] cid``, from
    ``executable`` when given (``sealedexe``: the runtime's sealed copy)."""
    scratch = Path(tempfile.mkdtemp(prefix="exec-", dir=socket_dir))
    spec = dict(process, terminal=tty)
    (scratch / "process.json").write_text(json.dumps(spec))
    pid_file = scratch / "pid"
    argv = [*runtime_argv, "exec", "--process", str(scratch / "process.json"),
            "--pid-file", str(pid_file)]
    listener: socket.socket | None = None
    if tty:
        sock_path = scratch / f"c{secrets.token_hex(4)}.sock"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        listener.bind(str(sock_path))
        listener.listen(1)
        listener.setblocking(False)
        argv += ["--tty", "--console-socket", str(sock_path)]
    argv.append(cid)
    loop = asyncio.get_running_loop()
    try:
        if tty:
            with open(scratch / "runtime.log", "wb") as log:
                proc = await spawn(argv, stdout=log, stderr=log, executable=executable)
            assert listener is not None
            master = await _receive_master(loop, listener, proc)
            if master < 0:
                rc = await proc.wait()
                err = (scratch / "runtime.log").read_text(errors="replace")
                raise CommandFailed(argv, rc, err or "no console received")
        else:
            proc = await spawn(argv, stdin=PIPE if stdin else DEVNULL, executable=executable)
            master = -1
    except BaseException:
        _remove_scratch(scratch)
        raise
    finally:
        if listener is not None:
            listener.close()
    return ExecProcess(proc, tty, master, pid_file, scratch)


async def _receive_master(loop: asyncio.AbstractEventLoop, listener: socket.socket,
                          proc: Child) -> int:
    """The pty master fd the runtime sends over the console socket; -1 if it exited."""
    accept = asyncio.ensure_future(loop.sock_accept(listener))
    exited = asyncio.ensure_future(proc.wait())
    done, _ = await asyncio.wait({accept, exited}, timeout=CONSOLE_TIMEOUT,
                                 return_when=asyncio.FIRST_COMPLETED)
    if accept not in done:
        accept.cancel()
        if exited not in done:
            exited.cancel()
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        return -1
    exited.cancel()
    conn, _ = accept.result()
    with conn:
        conn.setblocking(True)
        conn.settimeout(CONSOLE_TIMEOUT)
        _msg, fds, _flags, _addr = await loop.run_in_executor(
            None, lambda: socket.recv_fds(conn, 4096, 1))
    if not fds:
        return -1
    return fds[0]
