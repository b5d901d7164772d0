"""A throwaway palletd for benchmarks: own root under /tmp, started and stopped by PID.

(The test suite has its own, fuller version in tests/conftest.py.)
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
from pathlib import Path


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class BenchDaemon:
    """palletd on /tmp/pb-XXXX/{d,r}; ``env`` points the pallet CLI at it."""

    daemon_argv = [sys.executable, "-m", "pallet.daemon.main"]

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="pb-", dir="/tmp"))
        self.root, self.run = self.base / "d", self.base / "r"
        self.socket = self.run / "pallet.sock"
        self.host = f"unix://{self.socket}"
        self.log = self.base / "palletd.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = dict(os.environ, PALLET_HOST=self.host, PALLET_ROOT=str(self.root),
                        PALLET_RUN=str(self.run))

    def request(self, method: str, path: str, timeout: float = 60.0) -> tuple[int, bytes]:
        conn = UnixHTTPConnection(str(self.socket), timeout)
        try:
            conn.request(method, path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def start(self, timeout: float = 30.0) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.run.mkdir(parents=True, exist_ok=True)
        argv = [*self.daemon_argv, "--root", str(self.root), "--run", str(self.run)]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"palletd exited ({self.proc.returncode}): {self.tail()}")
            with contextlib.suppress(OSError):
                if self.request("GET", "/_ping", 2.0)[0] == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"palletd did not answer /_ping in {timeout:.0f}s: {self.tail()}")

    def bootstrap(self, name: str = "busybox") -> None:
        status, raw = self.request("POST", f"/pallet/images/bootstrap?name={name}", 300.0)
        lines = [json.loads(x) for x in raw.decode().splitlines() if x.strip()]
        if status != 200 or any("error" in x or "errorDetail" in x for x in lines):
            raise RuntimeError(f"bootstrap {name} failed ({status}): {raw[-300:]!r}")

    def tail(self, n: int = 10) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        return ""

    def close(self) -> None:
        """Remove containers, stop palletd (TERM, then KILL), unmount leftovers, delete dirs."""
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def stop(self) -> None:
        """Remove containers, stop palletd (TERM, then KILL), unmount leftovers; the dirs
        stay (removing an image's worth of files right before the next measurement makes
        it pay for that: a journal-less ext4 searches past recently deleted inodes)."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                _, raw = self.request("GET", "/containers/json?all=1", 20.0)
                for c in json.loads(raw):
                    self.request("DELETE", f"/containers/{c['Id']}?force=1", 30.0)
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)
        prefix = str(self.base) + "/"
        with open("/proc/self/mountinfo") as f:
            points = [ln.split()[4] for ln in f if ln.split()[4].startswith(prefix)]
        for point in sorted(points, key=len, reverse=True):
            subprocess.run(["umount", "-l", point], capture_output=True, check=False)


def rss_kb(pid: int) -> int:
    """VmRSS of one process in KiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(pid: int) -> int:
    """VmRSS of PID and its descendants (palletd's own helpers, not detached conmons)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss_kb(p)
        todo += children.get(p, [])
    return total


def pids_named(comm: str) -> list[int]:
    """PIDs whose /proc/PID/comm equals COMM exactly."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == comm:
                    found.append(int(entry.name))
    return found

