"""Registries through palletd: the pallet CLI, the docker CLI (DOCKER_HOST) and docker-py
pull, push and log in against Debian's docker-registry on 127.0.0.1."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pallet.testing.registry import RegistryServer

pytestmark = pytest.mark.compat


@pytest.fixture(scope="module")
def reg() -> Iterator[RegistryServer]:
    with RegistryServer.serving("none", prefix="pallet-creg-") as server:
        yield server


@pytest.fixture(scope="module")
def basic_reg() -> Iterator[RegistryServer]:
    with RegistryServer.serving("htpasswd", prefix="pallet-creg-") as server:
        yield server


def _image_id(palletd: Any, ref: str) -> str:
    return str(palletd.json("GET", f"/images/{ref}/json")["Id"])


def test_pallet_push_rmi_run_pulls_the_same_image(palletd: Any, busybox: str,
                                                  reg: RegistryServer) -> None:
    ref = f"{reg.host}/team/bb:1.0"
    want = _image_id(palletd, busybox)
    assert palletd.pallet("tag", busybox, ref).returncode == 0
    res = palletd.pallet("push", ref)
    assert res.returncode == 0, res.stderr
    assert f"The push refers to repository [{reg.host}/team/bb]" in res.stdout
    assert "1.0: digest: sha256:" in res.stdout
    assert palletd.pallet("rmi", ref).returncode == 0
    res = palletd.pallet("run", "--rm", ref, "echo", "ok")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().endswith("ok")
    assert _image_id(palletd, ref) == want
    res = palletd.pallet("pull", ref)
    assert res.returncode == 0 and f"Status: Image is up to date for {ref}" in res.stdout
    res = palletd.pallet("images", "--digests")
    row = next(x for x in res.stdout.splitlines() if x.startswith(f"{reg.host}/team/bb "))
    assert "sha256:" in row
    palletd.pallet("rmi", ref)


def test_docker_cli_push_and_pull_through_palletd(docker: Any, palletd: Any, busybox: str,
                                                  reg: RegistryServer) -> None:
    ref = f"{reg.host}/docker/bb:2"
    docker("tag", busybox, ref)
    out = docker("push", ref).stdout
    assert "2: digest: sha256:" in out
    docker("rmi", ref)
    out = docker("pull", ref).stdout
    assert f"Status: Downloaded newer image for {ref}" in out
    assert _image_id(palletd, ref) == _image_id(palletd, busybox)
    res = docker("pull", f"{reg.host}/docker/missing:1", check=False)
    assert res.returncode == 1 and "not found" in res.stderr
    docker("rmi", ref)


def test_docker_py_pull_and_push(palletd: Any, busybox: str, reg: RegistryServer) -> None:
    import docker

    client = docker.DockerClient(base_url=palletd.host)
    try:
        repo = f"{reg.host}/py/bb"
        client.images.get(busybox).tag(repo, "3")
        lines = list(client.images.push(repo, "3", stream=True, decode=True))
        assert any("aux" in x and x["aux"]["Tag"] == "3" for x in lines), lines
        client.images.remove(f"{repo}:3")
        img = client.images.pull(repo, tag="3")
        assert img.id == client.images.get(busybox).id
        client.images.remove(f"{repo}:3")
    finally:
        client.close()


def test_login_logout_and_authenticated_push(palletd: Any, busybox: str, docker: Any,
                                             basic_reg: RegistryServer) -> None:
    host = basic_reg.host
    res = palletd.pallet("login", "-u", "alice", "--password-stdin", host, input=b"nope\n")
    assert res.returncode == 1
    assert res.stderr.strip().count("\n") == 0 and "unauthorized" in res.stderr, res.stderr
    ref = f"{host}/private/bb:1"
    palletd.pallet("tag", busybox, ref)
    res = palletd.pallet("push", ref)
    assert res.returncode == 1 and "unauthorized" in res.stderr
    res = palletd.pallet("login", "-u", "alice", "--password-stdin", host,
                         input=b"wonderland\n")
    assert res.returncode == 0 and "Login Succeeded" in res.stdout, res.stderr
    cfg = Path(palletd.env["DOCKER_CONFIG"]) / "config.json"
    assert stat.S_IMODE(os.stat(cfg).st_mode) == 0o600
    assert json.loads(cfg.read_text())["auths"][host]["auth"]
    try:
        res = palletd.pallet("push", ref)
        assert res.returncode == 0, res.stderr
        palletd.pallet("rmi", ref)
        res = palletd.pallet("pull", ref)
        assert res.returncode == 0, res.stderr
        # the docker CLI uses the same config.json and sends X-Registry-Auth too
        docker("rmi", ref)
        assert "Downloaded newer image" in docker("pull", ref).stdout
        assert "Login Succeeded" in docker("login", "-u", "alice", "--password-stdin", host,
                                           input="wonderland\n").stdout
        res = docker("login", "-u", "alice", "--password-stdin", host, input="bad\n",
                     check=False)
        assert res.returncode == 1 and "unauthorized" in res.stderr
    finally:
        res = palletd.pallet("logout", host)
        assert res.stdout.strip() == f"Removing login credentials for {host}"
        palletd.pallet("rmi", ref)
    assert host not in json.loads(cfg.read_text()).get("auths", {})
