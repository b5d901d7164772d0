from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from fake_engine import Engine, serve

from pallet.cli.app import main


@dataclass
class Result:
    """What one in-process ``pallet`` invocation left behind."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout


def invoke(
    args: list[str], input: bytes | str | None = None, env: Mapping[str, str | None] | None = None
) -> Result:
    """Run ``pallet ARGS`` in this process with its own stdin/stdout/stderr and
    environment (``None`` unsets a variable); everything is restored afterwards."""
    data = input.encode() if isinstance(input, str) else (input or b"")
    out, err = io.BytesIO(), io.BytesIO()
    streams = (sys.stdin, sys.stdout, sys.stderr)
    saved_env = {k: os.environ.get(k) for k in (env or {})}
    sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    sys.stderr = io.TextIOWrapper(err, encoding="utf-8", write_through=True)
    _apply(env or {})
    try:
        try:
            code = main(list(args))
        except SystemExit as exc:  # nothing should exit, but report it like the launcher
            code = exc.code if isinstance(exc.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
        return Result(code, out.getvalue().decode(errors="replace"),
                      err.getvalue().decode(errors="replace"))
    finally:
        for stream in (sys.stdin, sys.stdout, sys.stderr):
            stream.detach()
        sys.stdin, sys.stdout, sys.stderr = streams
        _apply(saved_env)


def _apply(env: Mapping[str, str | None]) -> None:
    for key, value in env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


class Harness:
    def __init__(self, engine: Engine, socket_path: str) -> None:
        self.engine = engine
        self.socket_path = socket_path

    def run(self, *args: str, input: bytes | str | None = None) -> Result:
        env = {"PALLET_HOST": "unix://" + self.socket_path, "DOCKER_HOST": None, "PALLET_RUN": None}
        return invoke(list(args), input=input, env=env)

    def calls(self, method: str | None = None) -> list[tuple[str, str]]:
        return [(m, p) for m, p, _, _ in self.engine.requests if method in (None, m)]

    def last(self, method: str, path: str) -> tuple[dict[str, list[str]], object]:
        for m, p, q, b in reversed(self.engine.requests):
            if m == method and p == path:
                return q, b
        raise AssertionError(f"no {method} {path} in {self.calls()}")


@pytest.fixture
def engine() -> Iterator[Harness]:
    tmp = tempfile.mkdtemp(prefix="pallet-cli-")
    path = os.path.join(tmp, "engine.sock")
    eng, server = serve(path)
    eng.add_image("busybox:latest")
    try:
        yield Harness(eng, path)
    finally:
        server.shutdown()
        server.server_close()
        os.unlink(path)
        os.rmdir(tmp)
