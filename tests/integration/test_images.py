"""Images on the real overlay snapshotter: bootstrap, run from it, save/load, corrupt load."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pallet.errors import DataCorruption, InvalidArgument
from pallet.images.service import ImageService
from pallet.snapshots.mount import is_mounted, mount_all, unmount
from pallet.snapshots.overlay import OverlaySnapshotter
from pallet.system.db import Database
from pallet.system.paths import Paths

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for overlayfs"),
]


@pytest.fixture
def env() -> Iterator[tuple[ImageService, Path]]:
    d = Path(tempfile.mkdtemp(prefix="pallet-imgs-"))
    paths = Paths(root=d / "root", run=d / "run")
    db = Database(paths.db)
    svc = ImageService(db, paths)
    assert isinstance(svc.snapshotter, OverlaySnapshotter)
    try:
        yield svc, d
    finally:
        for m in d.glob("merged*"):
            if is_mounted(m):
                unmount(m)
        db.close()
        shutil.rmtree(d, ignore_errors=True)


def test_bootstrap_busybox_runs_in_chroot(env: tuple[ImageService, Path]) -> None:
    svc, d = env
    import time

    t0 = time.monotonic()
    iid = svc.bootstrap("busybox")
    assert time.monotonic() - t0 < 1.0
    img = svc.resolve("busybox:latest")
    assert img.id == iid
    chroot = shutil.which("chroot") or "/usr/sbin/chroot"
    merged = d / "merged"
    merged.mkdir()
    mount_all(svc.rootfs_mounts(img, "ctr1"), merged)
    try:
        out = subprocess.run(
            [chroot, str(merged), "/bin/busybox", "echo", "hi"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout == "hi\n"
        out = subprocess.run(
            [chroot, str(merged), "sh", "-c", "ls /bin | wc -l; id -un"],
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": "/bin:/usr/bin"},
        )
        count, user = out.stdout.split()
        assert int(count) > 50 and user == "root"
        # the guide's hardened Dockerfile creates its user with busybox's addgroup/adduser
        out = subprocess.run(
            [chroot, str(merged), "sh", "-c",
             "addgroup -g 1001 -S appgroup && adduser -S appuser -u 1001 -G appgroup"
             " && adduser -D bob && addgroup bob appgroup && id appuser && id bob"
             " && stat -c '%u:%g' /home/appuser && grep -c '^appuser:!:' /etc/shadow"
             " && ! adduser appuser 2>/dev/null"],
            capture_output=True, text=True, env={"PATH": "/bin:/usr/bin:/sbin:/usr/sbin"},
        )
        assert out.returncode == 0, out.stderr
        lines = out.stdout.splitlines()
        assert lines[0] == "uid=1001(appuser) gid=1001(appgroup) groups=1001(appgroup)"
        assert lines[1] == "uid=1000(bob) gid=1000(bob) groups=1000(bob),1001(appgroup)"
        assert lines[2:] == ["1001:1001", "1"]
        (merged / "tmp/x").write_text("container write")
    finally:
        unmount(merged)
    svc.release("ctr1")
    assert not svc.snapshotter.exists("ctr1")
    assert svc.snapshotter.exists(img.top_snapshot or "")


def test_save_load_round_trip_same_id(env: tuple[ImageService, Path]) -> None:
    svc, d = env
    iid = svc.bootstrap("busybox")
    with open(d / "bb.tar", "wb") as f:
        svc.save(["busybox"], f)
    svc.remove("busybox")
    assert svc.list() == []
    assert list(svc.snapshotter.walk()) == []
    assert svc.load(d / "bb.tar") == ["Loaded image: busybox:latest"]
    img = svc.resolve("busybox")
    assert img.id == iid
    merged = d / "merged"
    merged.mkdir()
    mount_all(svc.snapshotter.view("v", img.top_snapshot), merged)
    try:
        assert (merged / "bin/busybox").stat().st_size > 100_000
        assert os.readlink(merged / "bin/sh") == "/bin/busybox"
    finally:
        unmount(merged)
    svc.snapshotter.remove("v")


def test_load_of_corrupt_tar_changes_nothing(env: tuple[ImageService, Path]) -> None:
    svc, d = env
    svc.bootstrap("busybox")
    with open(d / "bb.tar", "wb") as f:
        svc.save(["busybox"], f)
    svc.remove("busybox")
    state = (
        svc.list(),
        sorted(b.digest for b in svc.content.walk()),
        sorted(s.key for s in svc.snapshotter.walk()),
    )
    data = (d / "bb.tar").read_bytes()
    (d / "trunc.tar").write_bytes(data[: len(data) // 2])
    with pytest.raises((DataCorruption, InvalidArgument)):
        svc.load(d / "trunc.tar")
    i = data.index(b"root:x:0:0")
    (d / "flip.tar").write_bytes(data[:i] + b"R" + data[i + 1 :])
    with pytest.raises(DataCorruption):
        svc.load(d / "flip.tar")
    assert state == (
        svc.list(),
        sorted(b.digest for b in svc.content.walk()),
        sorted(s.key for s in svc.snapshotter.walk()),
    )
    assert list((svc.paths.content / "ingest").iterdir()) == []


def test_bootstrap_debian_bookworm(env: tuple[ImageService, Path]) -> None:
    svc, d = env
    iid = svc.bootstrap("debian:bookworm")
    img = svc.resolve("debian:bookworm")
    assert img.id == iid and img.container_config["Cmd"] == ["bash"]
    merged = d / "merged"
    merged.mkdir()
    mount_all(svc.rootfs_mounts(img, "deb"), merged)
    try:
        assert os.listdir(merged / "dev") == []
        assert (merged / "etc/apt/apt.conf.d/docker-clean").is_file()
        assert (merged / "usr/bin/passwd").stat().st_mode & 0o4000
        out = subprocess.run(
            [
                shutil.which("chroot") or "/usr/sbin/chroot",
                str(merged),
                "/bin/bash",
                "-c",
                "cat /etc/debian_version",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.startswith("12.")
    finally:
        unmount(merged)
    svc.release("deb")
