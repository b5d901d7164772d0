"""Containers under conmon + crun/runc (asyncio).

One conmon process per container holds its stdio, writes the k8s-file log and the exit
code, and outlives the daemon. Files per container, all in the bundle dir the engine
owns: ``config.json`` (engine), ``pidfile``, ``conmon.pid``, ``exit``, ``oom``, ``ctl``
(fifo), ``winsz``; the attach socket is reached as ``<socket_dir>/<cid>/attach``
(conmon symlinks ``<socket_dir>/<cid>`` to the bundle, keeping the path short).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal as signals
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pallet.errors import CommandFailed, InvalidArgument, NotFound
from pallet.runtime.exec import ExecProcess, start_exec
from pallet.runtime.exits import read_exit
from pallet.runtime.sealedexe import SealedExe
from pallet.runtime.spawn import spawn

SYNC_TIMEOUT = 30.0
DISCARD_WAIT = 5.0
_NOT_EXIST = ("does not exist", "not exist", "no such file or directory", "not found")


@dataclass(frozen=True)
class RuntimeState:
    """What ``crun state`` says: status is created, running, paused or stopped."""

    id: str
    status: str
    pid: int
    bundle: str


def _is_missing(stderr: str) -> bool:
    low = stderr.lower()
    return any(s in low for s in _NOT_EXIST)


class ConmonRuntime:
    """The OCI runtime driver: containers under conmon, runtime calls, exec."""

    def __init__(
        self,
        runtime_path: str,
        conmon_path: str,
        state_root: Path,
        exits_dir: Path,
        socket_dir: Path,
    ) -> None:
        self.runtime_path = runtime_path
        self.conmon_path = conmon_path
        self.state_root = Path(state_root)
        self.exits_dir = Path(exits_dir)
        self.socket_dir = Path(socket_dir)
        self.name = os.path.basename(runtime_path)
        self.sealed = SealedExe(runtime_path)
        for d in (self.state_root, self.exits_dir, self.socket_dir):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
        probe = self.socket_dir / ("x" * 64) / "attach"
        if len(os.fsencode(str(probe))) >= 108:
            raise InvalidArgument(f"socket dir {socket_dir} is too long for unix socket paths")

    # ------------------------------------------------------------------ runtime calls
    def _argv(self, *args: str) -> list[str]:
        return [self.runtime_path, "--root", str(self.state_root), *args]

    async def _run(self, *args: str, check: bool = True) -> tuple[int, str, str]:
        """A direct runtime call (kill, delete, state, ...), from the sealed copy like exec;
        conmon alone is handed the path on disk (it outlives palletd and its fds)."""
        argv = self._argv(*args)
        proc = await spawn(argv, executable=self.sealed.executable())
        out, err = await proc.communicate()
        rc = proc.returncode if proc.returncode is not None else -1
        stderr = err.decode(errors="replace")
        if check and rc != 0:
            if _is_missing(stderr):
                raise NotFound(f"container {args[-1] if args else ''} not found in {self.name}")
            raise CommandFailed(argv, rc, stderr)
        return rc, out.decode(errors="replace"), stderr

    def conmon_argv(
        self, cid: str, bundle: Path, *, terminal: bool, stdin: bool, log_path: Path,
        log_size_max: int = -1, stdin_once: bool = False,
    ) -> list[str]:
        """conmon's command line (podman's, without ``--full-attach``/syslog)."""
        argv = [
            self.conmon_path, "--api-version", "1",
            "-c", cid, "-u", cid, "-n", cid,
            "-r", self.runtime_path,
            "--runtime-arg", "--root", "--runtime-arg", str(self.state_root),
            "-b", str(bundle),
            "-p", str(bundle / "pidfile"),
            "-P", str(bundle / "conmon.pid"),
            "--socket-dir-path", str(self.socket_dir),
            "--exit-dir", str(self.exits_dir),
            "-0", str(bundle),
            "-l", f"k8s-file:{log_path}",
            "--log-level", "warning",
        ]
        if log_size_max > 0:
            argv += ["--log-size-max", str(log_size_max)]
        if terminal:
            argv.append("-t")
        if stdin:
            # Docker's StdinOnce: the first attached client's EOF closes the
            # container's stdin; otherwise stdin stays open for later attaches.
            argv += ["-i"] if stdin_once else ["-i", "--leave-stdin-open"]
        return argv

    def _clear_stale(self, cid: str, bundle: Path) -> None:
        for p in (bundle / "exit", bundle / "oom", bundle / "pidfile", bundle / "conmon.pid",
                  self.exits_dir / cid, bundle / "attach", bundle / "ctl", bundle / "winsz",
                  self.socket_dir / cid):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()

    async def create(
        self, cid: str, bundle: Path, *, terminal: bool, stdin: bool, log_path: Path,
        log_size_max: int = -1, stdin_once: bool = False,
    ) -> int:
        """Spawn conmon, which runs ``<runtime> create``; returns the container's pid.

        On failure raises CommandFailed with the runtime's message and leaves no
        runtime state and no conmon behind.
        """
        bundle = Path(bundle)
        if not (bundle / "config.json").is_file():
            raise InvalidArgument(f"no config.json in bundle {bundle}")
        self._clear_stale(cid, bundle)
        argv = self.conmon_argv(cid, bundle, terminal=terminal, stdin=stdin, stdin_once=stdin_once,
                                log_path=log_path, log_size_max=log_size_max)
        sync_r, sync_w = os.pipe()
        start_r, start_w = os.pipe()
        env = dict(os.environ, _OCI_SYNCPIPE=str(sync_w), _OCI_STARTPIPE=str(start_r))
        err_path = bundle / "conmon.stderr"
        try:
            with open(err_path, "wb") as errf:
                proc = await spawn(argv, env=env, cwd=str(bundle), pass_fds=(sync_w, start_r),
                                   stdout=errf, stderr=errf, start_new_session=True)
        except BaseException:
            for fd in (sync_r, sync_w, start_r, start_w):
                os.close(fd)
            raise
        os.close(sync_w)  # else no EOF if conmon dies
        os.close(start_r)
        try:
            # Here the engine could move conmon (proc.pid) into a cgroup.
            os.write(start_w, b"0")
            os.close(start_w)
            start_w = -1
            rc = await asyncio.wait_for(proc.wait(), SYNC_TIMEOUT)
            if rc != 0:
                raise CommandFailed(argv, rc, _read_text(err_path))
            msg = await _read_json_line(sync_r, SYNC_TIMEOUT)
            if msg is None:
                raise CommandFailed(argv, -1, _read_text(err_path) or "conmon exited early")
            pid = int(msg.get("data", -1))
            if pid < 0:
                message = str(msg.get("message") or _read_text(err_path) or "create failed")
                raise CommandFailed([self.runtime_path, "create", cid], 1, message)
            return pid
        except BaseException:
            await self._cleanup_failed(cid, bundle)
            raise
        finally:
            os.close(sync_r)
            if start_w >= 0:
                os.close(start_w)

    async def _cleanup_failed(self, cid: str, bundle: Path) -> None:
        with contextlib.suppress(Exception):
            await self._run("delete", "--force", cid, check=False)
        pid = self.conmon_pid(bundle)
        if pid is not None and _is_conmon(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signals.SIGKILL)

    async def start(self, cid: str) -> None:
        await self._run("start", cid)

    async def kill(self, cid: str, signal: int) -> None:
        await self._run("kill", cid, str(int(signal)))

    async def pause(self, cid: str) -> None:
        await self._run("pause", cid)

    async def resume(self, cid: str) -> None:
        await self._run("resume", cid)

    async def update(self, cid: str, resources: dict[str, Any], scratch: Path) -> None:
        """``<runtime> update --resources FILE`` with an OCI ``linux.resources`` object."""
        path = Path(scratch) / "update-resources.json"
        path.write_text(json.dumps(resources))
        try:
            await self._run("update", "--resources", str(path), cid)
        finally:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    async def delete(self, cid: str, force: bool = False) -> None:
        """Remove the runtime's state; a container that does not exist is not an error."""
        args = ["delete", *(["--force"] if force else []), cid]
        rc, _, err = await self._run(*args, check=False)
        if rc != 0 and not _is_missing(err):
            raise CommandFailed(self._argv(*args), rc, err)
        with contextlib.suppress(FileNotFoundError):
            (self.socket_dir / cid).unlink()

    async def discard(self, cid: str, bundle: Path) -> None:
        """End a container that must not run on (a start palletd's death cut short):
        its process and runtime state (cgroup included) go, and its monitor exits
        after writing the exit code (killed if it does not within DISCARD_WAIT)."""
        await self.delete(cid, force=True)
        pid = self.conmon_pid(Path(bundle))
        if pid is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DISCARD_WAIT
        while _is_conmon(pid) and loop.time() < deadline:
            await asyncio.sleep(0.02)
        if _is_conmon(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signals.SIGKILL)

    def forget(self, cid: str) -> None:
        """Drop the monitor's files outside the bundle: the exit file, the socket link."""
        for p in (self.exits_dir / cid, self.socket_dir / cid):
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                p.unlink()

    def leftover_ids(self) -> set[str]:
        """Containers that have an exit file or a socket link here."""
        out: set[str] = set()
        for d in (self.exits_dir, self.socket_dir):
            with contextlib.suppress(FileNotFoundError):
                # exec scratch directories (exec-*) share the socket directory: not ids
                # (a socket link points at a bundle directory: a link, not a directory)
                out.update(p.name for p in d.iterdir()
                           if "." not in p.name and (p.is_symlink() or not p.is_dir()))
        return out

    async def state(self, cid: str) -> RuntimeState | None:
        """The runtime's view of ``cid``, or None when it does not know it."""
        rc, out, err = await self._run("state", cid, check=False)
        if rc != 0:
            if _is_missing(err):
                return None
            raise CommandFailed(self._argv("state", cid), rc, err)
        doc = json.loads(out)
        return RuntimeState(id=str(doc.get("id", cid)), status=str(doc.get("status", "")),
                            pid=int(doc.get("pid") or 0), bundle=str(doc.get("bundle", "")))

    async def list(self) -> list[RuntimeState]:
        rc, out, err = await self._run("list", "--format", "json", check=False)
        if rc != 0:
            raise CommandFailed(self._argv("list"), rc, err)
        return [RuntimeState(id=str(d["id"]), status=str(d.get("status", "")),
                             pid=int(d.get("pid") or 0), bundle=str(d.get("bundle", "")))
                for d in json.loads(out or "null") or []]

    # ------------------------------------------------------------------ conmon files
    def exit_code(self, cid: str, bundle: Path) -> int | None:
        """Exit code conmon recorded (128+signal when signalled), or None if running."""
        code = read_exit(Path(bundle), "exit")
        return code if code is not None else read_exit(self.exits_dir, cid)

    def oom_killed(self, bundle: Path) -> bool:
        return (Path(bundle) / "oom").exists()

    def attach_socket_path(self, cid: str, bundle: Path) -> Path:
        """Short path of conmon's attach socket (via the socket-dir symlink)."""
        short = self.socket_dir / cid / "attach"
        if len(os.fsencode(str(short))) < 108:
            return short
        return Path(bundle) / "attach"

    def conmon_pid(self, bundle: Path) -> int | None:
        try:
            return int((Path(bundle) / "conmon.pid").read_text().strip())
        except (FileNotFoundError, ValueError):
            return None


    async def resize(self, bundle: Path, height: int, width: int) -> None:
        """Resize a TTY container's console through conmon's ctl fifo."""
        _write_ctl(Path(bundle), f"1 {int(height)} {int(width)}\n")

    def reopen_logs(self, bundle: Path) -> None:
        """Ask conmon to reopen its log file (after the engine renamed it to rotate)."""
        _write_ctl(Path(bundle), "2 0 0\n")

    # ------------------------------------------------------------------ exec
    async def exec(
        self, cid: str, process: dict[str, Any], *, tty: bool, stdin: bool,
    ) -> ExecProcess:
        """Run ``<runtime> exec --process FILE cid`` as our child (from the binary's
        sealed copy: no re-exec of the runtime by itself); see ExecProcess."""
        return await start_exec(self._argv(), cid, process, tty=tty, stdin=stdin,
                                socket_dir=self.socket_dir,
                                executable=self.sealed.executable())


def _is_conmon(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "conmon"
    except OSError:
        return False


def _write_ctl(bundle: Path, line: str) -> None:
    try:
        fd = os.open(bundle / "ctl", os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise NotFound(f"no control fifo in {bundle}: is the container running?") from None
    except OSError as e:  # ENXIO: no reader, conmon is gone
        raise NotFound(f"conmon is not running for {bundle}: {e.strerror}") from None
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


async def _read_json_line(fd: int, timeout: float) -> dict[str, Any] | None:
    """One JSON line from conmon's sync pipe; None at EOF."""
    loop = asyncio.get_running_loop()
    os.set_blocking(fd, False)
    buf = b""

    async def _read() -> dict[str, Any] | None:
        nonlocal buf
        while b"\n" not in buf:
            ready: asyncio.Future[None] = loop.create_future()
            loop.add_reader(fd, _wake, ready)
            try:
                await ready
            finally:
                loop.remove_reader(fd)
            try:
                chunk = os.read(fd, 4096)
            except BlockingIOError:
                continue
            if not chunk:
                return None
            buf += chunk
        line = buf.split(b"\n", 1)[0]
        doc = json.loads(line)
        return doc if isinstance(doc, dict) else None

    return await asyncio.wait_for(_read(), timeout)

