from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

sys.path.insert(0, os.path.dirname(__file__))

from fake_engine import Engine, serve

from pallet.cli.app import cli


class Harness:
    def __init__(self, engine: Engine, socket_path: str) -> None:
        self.engine = engine
        self.socket_path = socket_path

    def run(self, *args: str, input: bytes | str | None = None) -> Result:
        runner = CliRunner()
        env = {"PALLET_HOST": "unix://" + self.socket_path, "DOCKER_HOST": None, "PALLET_RUN": None}
        return runner.invoke(
            cli, list(args), input=input, env=env, catch_exceptions=False, prog_name="pallet"
        )

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
