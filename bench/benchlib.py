"""Shared helpers of the side-by-side benches (run-network, run-build, run-health, run-registry).

An ``Engine`` is one CLI (pallet against a throwaway palletd, docker against the dockerd of
bench/setup-anchors, podman) with the environment it needs; ``anchors()`` returns the ones
that work here and why the others do not (their numbers then show as n/a).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from palletd_proc import BenchDaemon as BenchDaemon

DOCKER_SOCK = "/var/run/docker.sock"
DOCKER_PIDFILE = Path("/var/run/docker.pid")
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Engine:
    """One engine's CLI: ``engine.cli("run", ...)`` runs it with the right environment."""

    name: str
    exe: str
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    def argv(self, *args: str) -> list[str]:
        return [self.exe, *args]

    def cli(self, *args: str, timeout: float = 300.0,
            check: bool = False) -> subprocess.CompletedProcess[str]:
        res = subprocess.run(self.argv(*args), env=self.env, capture_output=True, text=True,
                             timeout=timeout, stdin=subprocess.DEVNULL)
        if check and res.returncode != 0:
            raise RuntimeError(f"{self.name} {' '.join(args)} exited {res.returncode}: "
                               f"{(res.stderr or res.stdout).strip()[-400:]}")
        return res

    def inspect(self, ref: str) -> dict[str, Any]:
        res = self.cli("inspect", ref, timeout=60, check=True)
        data = json.loads(res.stdout)
        return dict(data[0])


def docker_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env["DOCKER_HOST"] = f"unix://{DOCKER_SOCK}"
    return env


def pallet_engine(daemon: BenchDaemon, exe: str | None = None) -> Engine:
    path = exe or shutil.which("pallet")
    if path is None:
        raise RuntimeError("the pallet CLI is not installed (run scripts/setup)")
    return Engine("pallet", path, daemon.env)


def docker_engine() -> tuple[Engine | None, str]:
    """The docker CLI against the anchor dockerd, or (None, why not)."""
    exe = shutil.which("docker")
    if not exe:
        return None, "no docker CLI"
    eng = Engine("docker", exe, docker_env())
    res = eng.cli("image", "inspect", "busybox:latest", timeout=30)
    if res.returncode != 0:
        return None, "dockerd not running or no busybox image (run bench/setup-anchors)"
    return eng, ""


def podman_engine() -> tuple[Engine | None, str]:
    exe = shutil.which("podman")
    if not exe:
        return None, "podman not installed (run bench/setup-anchors)"
    eng = Engine("podman", exe, docker_env())
    res = eng.cli("image", "exists", "busybox:latest", timeout=60)
    if res.returncode != 0:
        return None, "podman has no busybox image (run bench/setup-anchors)"
    return eng, ""


def anchors(skip: Sequence[str] = ()) -> tuple[list[Engine], list[str]]:
    """The working anchors (docker, podman) and notes on the missing ones."""
    engines: list[Engine] = []
    notes: list[str] = []
    for name, probe in (("docker", docker_engine), ("podman", podman_engine)):
        if name in skip:
            notes.append(f"{name}: skipped (--skip)")
            continue
        eng, why = probe()
        if eng is None:
            notes.append(f"{name}: {why}")
        else:
            engines.append(eng)
    return engines, notes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_cpu(pid: int) -> tuple[float, float]:
    """(utime+stime, cutime+cstime) of PID in seconds; (0, 0) if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0, 0.0
    f = raw.rsplit(")", 1)[1].split()
    # fields after ')' start at 3 (state): utime=14, stime=15, cutime=16, cstime=17
    own = (int(f[11]) + int(f[12])) / CLK_TCK
    kids = (int(f[13]) + int(f[14])) / CLK_TCK
    return own, kids


def pss_kb(pid: int) -> int:
    """Proportional set size of PID in KiB (shared pages split between their users)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def host_busy_seconds() -> float:
    """CPU seconds all CPUs spent busy since boot (/proc/stat, idle and iowait excluded)."""
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    vals = [int(x) for x in parts]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
    return (sum(vals[:8]) - idle) / CLK_TCK


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


def fmt(v: float | None, unit: str = "ms", digits: int = 1) -> str:
    if v is None:
        return "n/a"
    return f"{v:.{digits}f} {unit}".rstrip()


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def fmt_ratio(r: float | None) -> str:
    return "n/a" if r is None else f"{r:.2f}x"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def print_table(title: str, rows: Sequence[tuple[str, str, str]]) -> None:
    print(title)
    for label, value, note in rows:
        print(f"  {label:<34} {value:>14}  {note}".rstrip())


def emit_json(result: dict[str, Any]) -> None:
    print("JSON " + json.dumps(result, sort_keys=True), flush=True)


def r2(v: float | None) -> float | None:
    return None if v is None else round(v, 2)
