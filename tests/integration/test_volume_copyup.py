"""Image VOLUMEs against explicit mounts, and the copy-up of a new volume (root, real palletd).

The image is the shape of the guide's redis: ``VOLUME /data``, owned by a non-root user that
the container runs as, with a file already in it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.integration]

IMAGE = "copyup-redis:test"
DOCKERFILE = """FROM busybox
RUN mkdir /data /empty && echo seed > /data/seed && chmod 600 /data/seed \\
 && chown -R 999:999 /data /empty && chmod 750 /data && chmod 1770 /empty \\
 && ln -s seed /data/seed-link
VOLUME /data /empty
USER 999:999
"""


def ok(d: Any, *args: str) -> str:
    res = d.pallet(*args)
    assert res.returncode == 0, f"pallet {' '.join(args)}: {res.stderr}{res.stdout}"
    return str(res.stdout)


@pytest.fixture(scope="module")
def image(palletd: Any, busybox: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ctx = tmp_path_factory.mktemp("copyup")
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    ok(palletd, "build", "-q", "-t", IMAGE, str(ctx))
    yield IMAGE
    palletd.pallet("rmi", "-f", IMAGE)


@pytest.fixture
def names(palletd: Any) -> Iterator[list[str]]:
    """Container and volume names a test used; removed afterwards even on failure."""
    made: list[str] = []
    yield made
    for n in made:
        palletd.pallet("rm", "-f", "-v", n)
    for n in made:
        palletd.pallet("volume", "rm", "-f", n)


def mounts(d: Any, name: str) -> dict[str, dict[str, Any]]:
    view = json.loads(ok(d, "inspect", name))[0]
    return {m["Destination"]: m for m in view["Mounts"]}


def test_named_volume_over_an_image_volume_takes_its_content_and_owner(
        palletd: Any, image: str, names: list[str]) -> None:
    names += ["cu-1", "cu-data"]
    out = ok(palletd, "run", "--name", "cu-1", "-v", "cu-data:/data", image, "sh", "-c",
             "id -u; echo more >> /data/written && stat -c '%u:%g %a' /data /data/seed"
             " && cat /data/seed-link")
    assert out.split("\n")[:4] == ["999", "999:999 750", "999:999 600", "seed"]
    by_dest = mounts(palletd, "cu-1")
    assert by_dest["/data"]["Name"] == "cu-data"  # the image's anonymous /data is not made
    assert by_dest["/data"]["Type"] == "volume" and len(by_dest) == 2  # + anonymous /empty
    # copied once: a second container sees the first one's data, not a fresh copy
    ok(palletd, "rm", "cu-1")
    out = ok(palletd, "run", "--rm", "-v", "cu-data:/data", image, "cat", "/data/written")
    assert out == "more\n"


def test_an_empty_image_directory_still_hands_over_owner_and_mode(
        palletd: Any, image: str, names: list[str]) -> None:
    names += ["cu-empty"]
    out = ok(palletd, "run", "--rm", "-v", "cu-empty:/empty", image, "sh", "-c",
             "touch /empty/x && stat -c '%u %a' /empty")
    assert out == "999 1770\n"


def test_nocopy_and_bind_mounts_do_not_copy(
        palletd: Any, image: str, names: list[str], tmp_path: Path) -> None:
    names += ["cu-nocopy", "cu-mnt"]
    res = palletd.pallet("run", "--rm", "-v", "cu-nocopy:/data:nocopy", image, "sh", "-c",
                         "ls -A /data; stat -c '%u' /data; touch /data/x")
    assert res.stdout == "0\n" and "Permission denied" in res.stderr, res
    res = palletd.pallet("run", "--rm", "--mount",
                         "type=volume,src=cu-mnt,dst=/data,volume-nocopy", image, "ls", "-A",
                         "/data")
    assert res.returncode == 0 and res.stdout == "", res
    host = tmp_path / "bind"
    host.mkdir()
    ok(palletd, "run", "--rm", "-u", "0", "-v", f"{host}:/data", image, "true")
    assert list(host.iterdir()) == []


def test_tmpfs_at_an_image_volume_replaces_it(
        palletd: Any, image: str, names: list[str]) -> None:
    names += ["cu-tmpfs"]
    out = ok(palletd, "run", "--name", "cu-tmpfs", "-u", "0", "--tmpfs", "/data", image, "sh",
             "-c", "ls -A /data; grep ' /data ' /proc/mounts | cut -d' ' -f3")
    assert out == "tmpfs\n"  # empty tmpfs, no anonymous volume under it
    assert set(mounts(palletd, "cu-tmpfs")) == {"/empty"}
