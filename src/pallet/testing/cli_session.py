"""A test's view of one real palletd through the pallet CLI and the API.

``CliSession`` names the containers it makes and force-removes them at the end,
so each integration test cleans up even when its assertions fail.
"""

from __future__ import annotations

import subprocess
import uuid
from typing import Any, Protocol


class Daemon(Protocol):
    """What the tests' palletd fixture offers (tests/conftest.py)."""

    def pallet(self, *args: str, timeout: float = ...,
               input: bytes | None = ...) -> subprocess.CompletedProcess[str]: ...

    def json(self, method: str, path: str, body: Any = ..., timeout: float = ...) -> Any: ...

    def request(self, method: str, path: str, *args: Any, **kw: Any) -> Any: ...


class CliSession:
    def __init__(self, daemon: Daemon, prefix: str = "t") -> None:
        self.d = daemon
        self.prefix = prefix
        self.made: list[str] = []

    def name(self) -> str:
        """A fresh container name, removed at cleanup."""
        n = f"{self.prefix}-{uuid.uuid4().hex[:8]}"
        self.made.append(n)
        return n

    def ok(self, *args: str, timeout: float = 60) -> str:
        """Run ``pallet ARGS``, assert it succeeded, return its stdout."""
        res = self.d.pallet(*args, timeout=timeout)
        assert res.returncode == 0, f"pallet {' '.join(args)}: {res.returncode} {res.stderr}"
        return res.stdout

    def run(self, *args: str, ok: bool = True) -> tuple[str, str, Any]:
        """``pallet run --name N ARGS``: (stdout + stderr, name, completed process)."""
        n = self.name()
        res = self.d.pallet("run", "--name", n, *args, timeout=60)
        if ok:
            assert res.returncode == 0, f"run {args}: {res.returncode} {res.stderr}"
        return res.stdout + res.stderr, n, res

    def run_d(self, *args: str) -> str:
        """``pallet run -d --name N ARGS``; returns N."""
        n = self.name()
        self.ok("run", "-d", "--name", n, *args)
        return n

    def inspect(self, ref: str) -> Any:
        return self.d.json("GET", f"/containers/{ref}/json")

    def cleanup(self) -> None:
        for n in self.made:
            self.d.request("DELETE", f"/containers/{n}?force=1")
