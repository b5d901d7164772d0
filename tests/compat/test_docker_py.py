"""docker-py 7 against palletd: the calls Python tooling (and the guide's readers) make."""

from __future__ import annotations

import json
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.compat


def test_ping_and_version(dclient: Any) -> None:
    assert dclient.ping() is True
    version = dclient.version()
    assert version["ApiVersion"] == "1.44"
    assert version["Os"] == "linux"
    assert version["MinAPIVersion"] <= "1.24"


def test_run_remove_returns_output(dclient: Any) -> None:
    assert dclient.containers.run("busybox", "echo hi", remove=True) == b"hi\n"


def test_detached_container(dclient: Any, cleanup: Any) -> None:
    name = cleanup.container("py-detached")
    c = dclient.containers.run("busybox", ["sh", "-c", "echo started; exec sleep 30"],
                               name=name, detach=True)
    assert c.name == name
    deadline = time.monotonic() + 10
    while b"started" not in c.logs() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert c.logs() == b"started\n"
    c.reload()
    assert c.status == "running"
    assert name in [x.name for x in dclient.containers.list()]

    result = c.exec_run("echo hi")
    assert result.exit_code == 0
    assert result.output == b"hi\n"
    assert c.exec_run(["sh", "-c", "exit 4"]).exit_code == 4

    c.stop(timeout=1)
    c.reload()
    assert c.status == "exited"
    assert c.attrs["State"]["ExitCode"] == 137
    assert name not in [x.name for x in dclient.containers.list()]
    assert name in [x.name for x in dclient.containers.list(all=True)]
    c.remove()
    assert name not in [x.name for x in dclient.containers.list(all=True)]


def test_wait_gives_status_code(dclient: Any, cleanup: Any) -> None:
    name = cleanup.container("py-wait")
    c = dclient.containers.run("busybox", ["sh", "-c", "exit 6"], name=name, detach=True)
    assert c.wait(timeout=30)["StatusCode"] == 6


def test_images_list_save_load(dclient: Any, cleanup: Any, tmp_path: Path) -> None:
    tags = [t for img in dclient.images.list() for t in img.tags]
    assert "busybox:latest" in tags

    ref = cleanup.image("py-saved:1")
    image = dclient.images.get("busybox")
    assert image.tag("py-saved", "1") is True
    archive = tmp_path / "img.tar"
    with open(archive, "wb") as f:
        for chunk in dclient.images.get(ref).save(named=ref):
            f.write(chunk)
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert manifest[0]["RepoTags"] == [ref]

    dclient.images.remove(ref)
    assert ref not in [t for img in dclient.images.list() for t in img.tags]
    loaded = dclient.images.load(archive.read_bytes())
    assert ref in [t for img in loaded for t in img.tags]
    assert loaded[0].id == image.id
    assert dclient.containers.run(ref, "echo ok", remove=True) == b"ok\n"
