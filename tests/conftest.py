"""Shared fixtures: a real palletd on a temporary root, and a busybox image in it.

`palletd` (session) starts ``python3 -m pallet.daemon.main --root D --run R`` as root on short
paths under /tmp (unix socket paths are limited to 108 bytes), waits for ``/_ping`` and yields a
:class:`Palletd`. Teardown removes every container through the API, stops the daemon by its PID
(SIGTERM, then SIGKILL), deletes runtime leftovers, lazily unmounts whatever is still mounted
under the temporary directory and removes it. `palletd_factory` makes extra daemons for tests
that kill or restart one. Missing tools fail the test with a clear message; nothing is skipped.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

DAEMON_ARGV = [sys.executable, "-m", "pallet.daemon.main"]
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
REQUIRED_TOOLS = ("crun", "conmon", "findmnt", "umount")


class _UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over a unix socket (stdlib only, so fixtures do not depend on pallet)."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def require_tools(*tools: str) -> None:
    """Fail (never skip) when a tool the tests need is missing."""
    missing = [t for t in tools if shutil.which(t) is None and not Path(t).is_file()]
    if missing:
        pytest.fail(
            f"required tool(s) missing: {', '.join(missing)}; run ./scripts/setup "
            "(CI installs everything)",
            pytrace=False,
        )


def require_root() -> None:
    if os.geteuid() != 0:
        pytest.fail("these tests start a real palletd and must run as root", pytrace=False)


class Palletd:
    """One palletd process on its own root and run directory."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.root = base / "d"
        self.run = base / "r"
        self.socket = self.run / "pallet.sock"
        self.host = f"unix://{self.socket}"
        self.log = base / "palletd.log"
        self.proc: subprocess.Popen[bytes] | None = None
        docker_config = base / "docker-config"
        docker_config.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        env.update(
            PALLET_HOST=self.host,
            DOCKER_HOST=self.host,
            DOCKER_BUILDKIT="0",
            DOCKER_CONFIG=str(docker_config),
            PALLET_ROOT=str(self.root),
            PALLET_RUN=str(self.run),
        )
        self.env: dict[str, str] = env

    # -- process ---------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the daemon (again, on the same root) and wait until ``/_ping`` answers."""
        if self.running():
            raise RuntimeError("palletd already running")
        self.root.mkdir(parents=True, exist_ok=True)
        self.run.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.socket.unlink()
        env = {k: v for k, v in self.env.items() if k not in ("PALLET_HOST", "DOCKER_HOST")}
        argv = [*DAEMON_ARGV, "--root", str(self.root), "--run", str(self.run)]
        with open(self.log, "ab") as log:
            log.write(f"--- start {' '.join(argv)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=env, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"palletd exited with status {self.proc.returncode} during start:\n"
                    + self.log_tail()
                )
            if self.ping():
                return
            time.sleep(0.05)
        raise RuntimeError(
            f"palletd did not answer /_ping within {timeout:.0f}s:\n{self.log_tail()}"
        )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send SIG to the daemon (by PID) and wait for it to exit."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, sig)
        self.proc.wait(timeout=STOP_TIMEOUT)

    def crash_host(self) -> None:
        """What a host reboot does: the daemon dies (SIGKILL) and so do its containers
        (``crun kill``); the records stay. ``start()`` afterwards is the boot."""
        self.kill(signal.SIGKILL)
        state = str(self.run / "runtime")
        ids = subprocess.run(["crun", "--root", state, "list", "-q"], capture_output=True,
                             text=True, check=True).stdout.split()
        for cid in ids:
            subprocess.run(["crun", "--root", state, "kill", cid, "KILL"], capture_output=True)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after STOP_TIMEOUT seconds."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=STOP_TIMEOUT)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no palletd log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- API -------------------------------------------------------------------------------
    def request(
        self, method: str, path: str, body: Any = None, timeout: float = 60.0,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """One Engine API call; JSON-encodes dict/list bodies. Returns (status, body)."""
        conn = _UnixHTTPConnection(str(self.socket), timeout)
        hdrs = dict(headers or {})
        data: bytes | None
        if body is None or isinstance(body, bytes):
            data = body
        else:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def json(self, method: str, path: str, body: Any = None, timeout: float = 60.0) -> Any:
        status, raw = self.request(method, path, body, timeout)
        if status >= 300:
            raise AssertionError(f"{method} {path} -> {status}: {raw[:500]!r}")
        return json.loads(raw) if raw else None

    def ping(self) -> bool:
        try:
            status, body = self.request("GET", "/_ping", timeout=2.0)
        except OSError:
            return False
        return status == 200 and body.strip() == b"OK"

    def bootstrap(self, name: str = "busybox", timeout: float = 300.0) -> list[dict[str, Any]]:
        """``POST /pallet/images/bootstrap?name=NAME``; fails on an error line or status."""
        status, raw = self.request("POST", f"/pallet/images/bootstrap?name={name}", timeout=timeout)
        lines = [json.loads(x) for x in raw.decode().splitlines() if x.strip()]
        errors = [x for x in lines if "error" in x or "errorDetail" in x]
        if status != 200 or errors:
            raise AssertionError(f"bootstrap {name} failed ({status}): {errors or raw[:500]!r}")
        status, raw = self.request("GET", f"/images/{name}/json")
        if status != 200:
            raise AssertionError(f"bootstrap {name} reported success but inspect gives {status}")
        return lines

    def remove_all_containers(self) -> list[str]:
        """Force-remove every container through the API; returns the names of failures."""
        failed: list[str] = []
        try:
            listing = self.json("GET", "/containers/json?all=1", timeout=20)
        except (OSError, AssertionError, ValueError):
            return ["<list failed>"]
        for c in listing:
            try:
                status, _ = self.request("DELETE", f"/containers/{c['Id']}?force=1&v=1", timeout=30)
            except OSError:
                status = 0
            if status not in (204, 200, 404):
                failed.append(c["Id"][:12])
        return failed

    # -- subprocess helpers ----------------------------------------------------------------
    def pallet(
        self, *args: str, timeout: float = 120.0, input: bytes | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the ``pallet`` CLI against this daemon (stdout/stderr captured as text)."""
        exe = shutil.which("pallet")
        if exe is None:
            pytest.fail("the pallet CLI is not installed; run ./scripts/setup", pytrace=False)
        return subprocess.run(
            [exe, *args], env=self.env, capture_output=True, timeout=timeout,
            input=input.decode() if input is not None else None, text=True,
        )

    # -- cleanup ---------------------------------------------------------------------------
    def cleanup(self) -> list[str]:
        """Stop everything this daemon left behind and remove its directories.

        Returns a list of problems (for a teardown message); never raises.
        """
        problems: list[str] = []
        if self.running() and self.ping():
            failed = self.remove_all_containers()
            if failed:
                problems.append(f"could not remove containers through the API: {failed}")
        try:
            self.stop()
            if self.proc is not None and self.proc.returncode != 0:
                # killed by a test: a clean start and stop takes its network down
                self.start()
                self.remove_all_containers()
                self.stop()
        except (OSError, subprocess.TimeoutExpired, RuntimeError) as exc:
            problems.append(f"stopping palletd: {exc}")
        problems += _delete_runtime_leftovers(self.run / "runtime")
        problems += _kill_processes_mentioning(str(self.base))
        problems += _unmount_under(self.base)
        shutil.rmtree(self.base, ignore_errors=True)
        if self.base.exists():
            problems.append(f"could not remove {self.base}")
        return problems


def _delete_runtime_leftovers(state: Path) -> list[str]:
    """`crun/runc --root STATE delete --force` every container still known there."""
    problems: list[str] = []
    if not state.is_dir():
        return problems
    for runtime in ("crun", "runc"):
        exe = shutil.which(runtime)
        if exe is None:
            continue
        res = subprocess.run([exe, "--root", str(state), "list", "-q"],
                             capture_output=True, text=True, timeout=30)
        for cid in res.stdout.split():
            subprocess.run([exe, "--root", str(state), "delete", "--force", cid],
                           capture_output=True, timeout=30)
            problems.append(f"{runtime} container {cid[:12]} was left behind (deleted)")
    return problems


def _kill_processes_mentioning(marker: str) -> list[str]:
    """SIGKILL processes (conmon, a stray palletd) whose argv names our temporary directory."""
    problems: list[str] = []
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            argv = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in argv:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGKILL)
                problems.append(f"killed leftover process {entry.name}: {argv[:120]}")
    return problems


def _mountpoints_under(base: Path) -> list[str]:
    prefix = str(base).rstrip("/") + "/"
    points: list[str] = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            raw = line.split()[4]
            point = raw.encode().decode("unicode_escape")  # \040 etc.
            if point == str(base) or point.startswith(prefix):
                points.append(point)
    return points


def _unmount_under(base: Path) -> list[str]:
    problems: list[str] = []
    for _ in range(3):
        points = _mountpoints_under(base)
        if not points:
            break
        for point in sorted(set(points), key=len, reverse=True):
            subprocess.run(["umount", "-l", point], capture_output=True, timeout=30)
        problems.append(f"unmounted {len(set(points))} leftover mount(s) under {base}")
    return problems


def _new_base() -> Path:
    return Path(tempfile.mkdtemp(prefix="pt-", dir="/tmp"))


@pytest.fixture(scope="session")
def palletd() -> Iterator[Palletd]:
    """A real palletd for the whole session (root required, tools required)."""
    require_root()
    require_tools(*REQUIRED_TOOLS)
    daemon = Palletd(_new_base())
    try:
        daemon.start()
    except RuntimeError as exc:
        daemon.cleanup()
        pytest.fail(str(exc), pytrace=False)
    yield daemon
    problems = daemon.cleanup()
    if problems:
        print("\npalletd teardown: " + "; ".join(problems), file=sys.stderr)


@pytest.fixture(scope="session")
def busybox(palletd: Palletd) -> str:
    """Bootstraps the busybox image into the session daemon once; returns its name."""
    try:
        palletd.bootstrap("busybox")
    except (AssertionError, OSError) as exc:
        pytest.fail(f"{exc}\npalletd log:\n{palletd.log_tail()}", pytrace=False)
    return "busybox"


@pytest.fixture
def palletd_factory() -> Iterator[Callable[[], Palletd]]:
    """Makes extra daemons (own root each) for tests that kill or restart one; cleans up all."""
    require_root()
    require_tools(*REQUIRED_TOOLS)
    made: list[Palletd] = []

    def make() -> Palletd:
        daemon = Palletd(_new_base())
        made.append(daemon)
        return daemon

    yield make
    for daemon in made:
        problems = daemon.cleanup()
        if problems:
            print("\npalletd teardown: " + "; ".join(problems), file=sys.stderr)
