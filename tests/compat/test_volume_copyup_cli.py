"""The docker CLI on image VOLUMEs: explicit mounts replace them, new volumes are copied up.

A non-root image declaring ``VOLUME /data`` (the shape of the guide's redis), run through the
docker CLI's ``-v``, ``--mount`` (``HostConfig.Mounts`` with ``VolumeOptions.NoCopy``) and
``--tmpfs`` forms.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.compat]

IMAGE = "compat-volimage:test"


@pytest.fixture(scope="module")
def image(docker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ctx = tmp_path_factory.mktemp("volimage")
    (ctx / "Dockerfile").write_text(
        "FROM busybox\n"
        "RUN mkdir /data && echo seed > /data/seed && chown -R 999:999 /data"
        " && chmod 700 /data\n"
        "VOLUME /data\nUSER 999\n")
    docker("build", "-q", "-t", IMAGE, str(ctx))
    yield IMAGE
    docker("rmi", "-f", IMAGE, check=False)


@pytest.fixture
def gone(docker: Any) -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for n in names:
        docker("rm", "-f", "-v", n, check=False)
    for n in names:
        docker("volume", "rm", "-f", n, check=False)


def test_volume_flag_over_image_volume(docker: Any, image: str, gone: list[str]) -> None:
    gone += ["vc-run", "vc-vol"]
    out = docker("run", "--name", "vc-run", "-v", "vc-vol:/data", image, "sh", "-c",
                 "cat /data/seed && echo new > /data/new && stat -c '%u %a' /data").stdout
    assert out == "seed\n999 700\n"
    view = json.loads(docker("inspect", "vc-run").stdout)[0]
    assert [(m["Destination"], m["Name"]) for m in view["Mounts"]] == [("/data", "vc-vol")]


def test_mount_flag_nocopy_and_tmpfs(docker: Any, image: str, gone: list[str],
                                     tmp_path: Path) -> None:
    gone += ["vc-nocopy", "vc-tmpfs"]
    out = docker("run", "--rm", "--mount", "type=volume,src=vc-nocopy,dst=/data,volume-nocopy",
                 "-u", "0", image, "ls", "-A", "/data").stdout
    assert out == ""
    out = docker("run", "--name", "vc-tmpfs", "--tmpfs", "/data", image, "sh", "-c",
                 "touch /data/t && grep ' /data ' /proc/mounts | cut -d' ' -f3").stdout
    assert out == "tmpfs\n"
    assert json.loads(docker("inspect", "vc-tmpfs").stdout)[0]["Mounts"] == []
    docker("run", "--rm", "-u", "0", "-v", f"{tmp_path}:/data", image, "true")
    assert list(tmp_path.iterdir()) == []  # a bind mount never receives the image's files
