"""``pallet compose`` against a real dockerd (Debian's docker.io): the guide's projects give
the same results as on palletd, through the same ``DOCKER_HOST`` handling.

The dockerd on /var/run/docker.sock is used when one answers there; otherwise the test
starts one (as bench/setup-anchors does) and stops it afterwards. A dockerd without
busybox gets palletd's (``pallet save`` into ``pallet load``); the stand-in images are built
on it with ``pallet build``.
Projects get names of their own (``dk-...``) so a shared dockerd keeps other work apart.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compose"))

import compose_projects as cp
import guide_checks

pytestmark = [pytest.mark.compat]

DOCKER_SOCK = "/var/run/docker.sock"
# not "volumes": its redis stand-in (uid 999, no entrypoint chown) cannot write a tmpfs
# /data on dockerd 20.10, which gives a tmpfs no image content or owner; Compose v2 on
# that dockerd fails the same way, so the check does not tell the two apart
PROJECTS = ["stack", "networks", "env", "healthy", "hardened"]


def _ping() -> bool:
    class Conn(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(3)
            self.sock.connect(DOCKER_SOCK)

    conn = Conn("localhost", timeout=3)
    try:
        conn.request("GET", "/_ping")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


@pytest.fixture(scope="module")
def dockerd(palletd: Any, busybox: str, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[dict[str, str]]:
    """The environment of a pallet CLI talking to a real dockerd that has busybox."""
    exe = shutil.which("dockerd")
    if exe is None:
        pytest.fail("dockerd is missing: scripts/setup installs docker.io", pytrace=False)
    proc: subprocess.Popen[bytes] | None = None
    if not _ping():
        log = tmp_path_factory.mktemp("dockerd") / "dockerd.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen([exe, "-H", f"unix://{DOCKER_SOCK}"], stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        deadline = time.monotonic() + 60
        while not _ping():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dockerd did not start:\n{log.read_text()[-2000:]}",
                            pytrace=False)
            time.sleep(0.3)
    env = dict(palletd.env, DOCKER_HOST=f"unix://{DOCKER_SOCK}")
    env.pop("PALLET_HOST", None)
    has = subprocess.run(["pallet", "image", "inspect", busybox], env=env,
                         capture_output=True, timeout=60)
    if has.returncode != 0:
        image = subprocess.run(["pallet", "save", busybox], env=palletd.env,
                               capture_output=True, check=True, timeout=120).stdout
        subprocess.run(["pallet", "load", "-q"], env=env, input=image, capture_output=True,
                       check=True, timeout=120)
    try:
        yield env
    finally:
        if proc is not None:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def engine(dockerd: dict[str, str]) -> cp.Runner:
    """The pallet CLI on dockerd."""
    def run(*args: str, check: bool = True, timeout: float = 120.0,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
        return cp.run(["pallet", *args], env=dockerd, check=check, timeout=timeout)

    cp.build_standins(run)
    return run


@pytest.mark.parametrize("project", PROJECTS)
def test_guide_project_on_dockerd(project: str, dockerd: dict[str, str],
                                  engine: cp.Runner) -> None:
    name = f"dk-{project}-{os.getpid()}"
    compose = cp.Compose([str(shutil.which("pallet")), "compose"], project, dockerd, name)
    try:
        getattr(guide_checks, f"check_{project}")(compose, engine)
    finally:  # the images built for this run's project name go too (a shared dockerd)
        compose("down", "-v", "--rmi", "local", check=False)
