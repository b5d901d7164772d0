"""Fixtures for the compat tier: the real docker CLI and docker-py against the session palletd."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

DOCKER_CLI = "/usr/local/bin/docker"

Runner = Callable[..., subprocess.CompletedProcess[str]]


def _run(argv: list[str], env: dict[str, str], check: bool, timeout: float,
         input: str | None) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout,
                         input=input, stdin=None if input is not None else subprocess.DEVNULL)
    if check and res.returncode != 0:
        raise AssertionError(
            f"{' '.join(argv)} -> exit {res.returncode}\nstdout: {res.stdout}\nstderr: {res.stderr}"
        )
    return res


@pytest.fixture(scope="session")
def docker(palletd: Any, busybox: str) -> Runner:
    """``docker(*args, check=True, timeout=60, input=None)`` runs the real docker CLI (v28)."""
    if not Path(DOCKER_CLI).is_file():
        pytest.fail(f"{DOCKER_CLI} (docker CLI 28, client only) is missing; CI installs it",
                    pytrace=False)

    def run(*args: str, check: bool = True, timeout: float = 60.0,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
        return _run([DOCKER_CLI, *args], palletd.env, check, timeout, input)

    return run


@pytest.fixture(scope="session")
def pallet(palletd: Any, busybox: str) -> Runner:
    """``pallet(*args, check=False, timeout=60, input=None)`` runs the pallet CLI."""
    import shutil

    exe = shutil.which("pallet")
    if exe is None:
        pytest.fail("the pallet CLI is not installed; run ./scripts/setup", pytrace=False)

    def run(*args: str, check: bool = False, timeout: float = 60.0,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
        return _run([exe, *args], palletd.env, check, timeout, input)

    return run


@pytest.fixture(scope="session")
def dclient(palletd: Any, busybox: str) -> Iterator[Any]:
    """A docker-py 7 client on the palletd socket."""
    try:
        import docker as docker_py
    except ImportError:
        pytest.fail("docker-py (pip package 'docker') is missing; run ./scripts/setup",
                    pytrace=False)
    client = docker_py.DockerClient(base_url=palletd.host, timeout=60)
    yield client
    client.close()


class Cleanup:
    """Names of containers and images a test made; removed through the API afterwards."""

    def __init__(self, palletd: Any) -> None:
        self._palletd = palletd
        self.containers: list[str] = []
        self.images: list[str] = []

    def container(self, name: str) -> str:
        self.containers.append(name)
        return name

    def image(self, ref: str) -> str:
        self.images.append(ref)
        return ref

    def run(self) -> None:
        for name in self.containers:
            try:
                self._palletd.request("DELETE", f"/containers/{name}?force=1&v=1", timeout=30)
            except OSError:
                pass
        for ref in self.images:
            try:
                self._palletd.request("DELETE", f"/images/{ref}?force=1", timeout=30)
            except OSError:
                pass


@pytest.fixture
def cleanup(palletd: Any) -> Iterator[Cleanup]:
    """Register names with ``cleanup.container(name)``; they are removed even on failure."""
    c = Cleanup(palletd)
    yield c
    c.run()
