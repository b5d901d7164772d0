"""What ``pallet push`` sends, read by other engines (issue 18): busybox (stored as a plain
tar) pushed with gzip layers pulls and runs on a real dockerd and pulls with Podman;
pushed again it is "Layer already exists" only; pushed with ``--compression zstd`` it pulls
and runs on pallet, pulls with Podman, and saved as pulled loads and runs on dockerd.

dockerd is test_compose_dockerd's fixture (the one on /var/run/docker.sock, else started);
Podman runs with a storage root of its own in a temporary directory (vfs, no mounts), so it
neither sees nor leaves images elsewhere.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_compose_dockerd import dockerd  # noqa: F401  (the fixture)

from pallet.oci import mediatypes as mt
from pallet.testing.registry import RegistryServer

pytestmark = pytest.mark.compat
ACCEPT = ", ".join((mt.OCI_MANIFEST, mt.DOCKER_MANIFEST))


@pytest.fixture(scope="module")
def reg() -> Iterator[RegistryServer]:
    with RegistryServer.serving("none", prefix="pallet-preg-") as server:
        yield server


@pytest.fixture
def podman() -> Iterator[list[str]]:
    exe = shutil.which("podman")
    if exe is None:
        pytest.fail("podman is missing: scripts/setup installs it", pytrace=False)
    base = Path(tempfile.mkdtemp(prefix="pp-", dir="/tmp"))  # podman: runroot < 50 chars
    argv = [exe, "--root", str(base / "root"), "--runroot", str(base / "run"),
            "--storage-driver", "vfs"]
    try:
        yield argv
    finally:
        subprocess.run([*argv, "system", "reset", "-f"], capture_output=True, timeout=120)
        shutil.rmtree(base, ignore_errors=True)


def _layers(reg: RegistryServer, repo: str, tag: str) -> list[dict[str, Any]]:
    req = urllib.request.Request(f"http://{reg.host}/v2/{repo}/manifests/{tag}",
                                 headers={"Accept": ACCEPT})
    with urllib.request.urlopen(req, timeout=10) as resp:
        layers: list[dict[str, Any]] = json.load(resp)["layers"]
    return layers


def _podman_pull(podman: list[str], ref: str) -> None:
    res = subprocess.run([*podman, "pull", "--tls-verify=false", ref], capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr


def test_gzip_push_pulls_on_dockerd_and_podman(
        palletd: Any, busybox: str, reg: RegistryServer, dockerd: dict[str, str],  # noqa: F811
        podman: list[str]) -> None:
    ref = f"{reg.host}/gz/bb:1"
    assert palletd.pallet("tag", busybox, ref).returncode == 0
    try:
        res = palletd.pallet("push", ref)
        assert res.returncode == 0, res.stderr
        assert "Pushed" in res.stdout
        assert {x["mediaType"] for x in _layers(reg, "gz/bb", "1")} <= {
            mt.OCI_LAYER_GZIP, mt.DOCKER_LAYER_GZIP}
        again = palletd.pallet("push", ref)
        assert again.returncode == 0, again.stderr
        assert "Layer already exists" in again.stdout and "Pushed" not in again.stdout

        pulled = subprocess.run(["docker", "pull", ref], env=dockerd, capture_output=True,
                                text=True, timeout=300)
        assert pulled.returncode == 0, pulled.stderr
        ran = subprocess.run(["docker", "run", "--rm", ref, "echo", "from-dockerd"],
                             env=dockerd, capture_output=True, text=True, timeout=120)
        assert ran.returncode == 0 and ran.stdout.strip() == "from-dockerd", ran.stderr
        _podman_pull(podman, ref)
    finally:
        subprocess.run(["docker", "rmi", "-f", ref], env=dockerd, capture_output=True,
                       timeout=60)
        palletd.pallet("rmi", ref)


def test_zstd_push_pulls_and_runs_on_pallet_and_pulls_on_podman(
        palletd: Any, busybox: str, reg: RegistryServer, podman: list[str],
        dockerd: dict[str, str]) -> None:  # noqa: F811
    ref = f"{reg.host}/zs/bb:1"
    assert palletd.pallet("tag", busybox, ref).returncode == 0
    try:
        res = palletd.pallet("push", "--compression", "zstd", "--compression-level", "5", ref)
        assert res.returncode == 0, res.stderr
        assert {x["mediaType"] for x in _layers(reg, "zs/bb", "1")} == {mt.OCI_LAYER_ZSTD}
        assert palletd.pallet("rmi", ref).returncode == 0
        res = palletd.pallet("run", "--rm", ref, "echo", "from-zstd")
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip().endswith("from-zstd")
        _podman_pull(podman, ref)
        # saved as pulled (zstd layers), dockerd 20.10 loads and runs it
        saved = subprocess.run(["pallet", "save", ref], env=palletd.env, capture_output=True,
                               timeout=120)
        assert saved.returncode == 0, saved.stderr
        loaded = subprocess.run(["docker", "load"], env=dockerd, input=saved.stdout,
                                capture_output=True, timeout=120)
        assert loaded.returncode == 0, loaded.stderr
        ran = subprocess.run(["docker", "run", "--rm", ref, "echo", "zstd-on-dockerd"],
                             env=dockerd, capture_output=True, text=True, timeout=120)
        assert ran.returncode == 0 and ran.stdout.strip() == "zstd-on-dockerd", ran.stderr
        bad = palletd.pallet("push", "--compression", "lz4", ref)
        assert bad.returncode != 0 and "invalid compression 'lz4'" in bad.stderr
    finally:
        subprocess.run(["docker", "rmi", "-f", ref], env=dockerd, capture_output=True,
                       timeout=60)
        palletd.pallet("rmi", ref)
