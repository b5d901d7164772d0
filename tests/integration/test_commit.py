"""commit, diff and export with a real palletd (overlayfs, crun, conmon): what changed,
what a committed image holds, and that the container itself is left as it was."""

from __future__ import annotations

import io
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pallet.testing.cli_session import CliSession

pytestmark = pytest.mark.integration

SCRIPT = ("echo hi > /newfile; rm /bin/zcat; mkdir -p /etc/x/y; echo me >> /etc/passwd; "
          "rm -rf /var/spool; mkdir /var/spool; touch /var/spool/z")


class Session(CliSession):
    """CliSession that also removes the images a test committed."""

    def __init__(self, daemon: Any) -> None:
        super().__init__(daemon, "cde")
        self.images: list[str] = []

    def image(self, ref: str) -> str:
        self.images.append(ref)
        return ref

    def cleanup(self) -> None:
        super().cleanup()
        for ref in self.images:
            self.d.request("DELETE", f"/images/{ref}?force=1")


@pytest.fixture
def p(palletd: Any, busybox: str) -> Iterator[Session]:
    helper = Session(palletd)
    try:
        yield helper
    finally:
        helper.cleanup()


def _layer_names(palletd: Any, image: str) -> list[str]:
    """The member names of an image's top layer blob (uncompressed tar in the store)."""
    doc = palletd.json("GET", f"/images/{image}/json")
    top = doc["RootFS"]["Layers"][-1].removeprefix("sha256:")
    blob = Path(palletd.root) / "content" / "blobs" / "sha256" / top
    with tarfile.open(blob) as tf:
        return [m.name.rstrip("/") for m in tf.getmembers()]


def _mounted(path: Path) -> bool:
    return subprocess.run(["findmnt", "-rn", str(path)], capture_output=True).returncode == 0


def test_diff_commit_run_history(p: Session, palletd: Any) -> None:
    _, name, _ = p.run("busybox", "sh", "-c", SCRIPT)
    assert p.ok("diff", name).splitlines() == [
        "C /bin", "D /bin/zcat", "C /etc", "C /etc/passwd", "A /etc/x", "A /etc/x/y",
        "A /newfile", "C /var", "C /var/spool", "D /var/spool/mail", "A /var/spool/z",
    ]
    image = p.image("cde-snap:v1")
    image_id = p.ok("commit", "-a", "tester", "-m", "first snapshot", "-c", "ENV FOO=bar",
                    "-c", 'CMD ["cat", "/newfile"]', name, image).strip()
    assert image_id.startswith("sha256:") and len(image_id) == 71
    assert p.ok("run", "--rm", image) == "hi\n"
    out = p.ok("run", "--rm", image, "sh", "-c",
               "echo $FOO; ls /bin/zcat 2>&1; ls /var/spool; tail -1 /etc/passwd")
    assert out.splitlines() == ["bar", "ls: /bin/zcat: No such file or directory", "z", "me"]
    hist = palletd.json("GET", f"/images/{image}/history")
    assert hist[0]["Id"] == image_id and hist[0]["Comment"] == "first snapshot"
    assert hist[0]["CreatedBy"] == f"sh -c {SCRIPT}" and hist[0]["Size"] > 0
    assert len(hist) == len(palletd.json("GET", "/images/busybox/history")) + 1
    doc = palletd.json("GET", f"/images/{image}/json")
    assert doc["Author"] == "tester" and doc["Config"]["Cmd"] == ["cat", "/newfile"]
    base = palletd.json("GET", "/images/busybox/json")
    assert doc["RootFS"]["Layers"][:-1] == base["RootFS"]["Layers"]
    names = _layer_names(palletd, image)
    assert "newfile" in names and "bin/.wh.zcat" in names and "var/spool/.wh..wh..opq" in names
    for bound in ("etc/hosts", "etc/hostname", "etc/resolv.conf", "proc", "sys", "dev"):
        assert bound not in names
    # the container's own layer is untouched by the commit
    assert p.ok("diff", name).splitlines()[1] == "D /bin/zcat"


def test_commit_running_container_pauses_and_leaves_it_running(p: Session,
                                                               palletd: Any) -> None:
    name = p.run_d("-v", "cde-vol:/data", "busybox", "sh", "-c",
                   "echo 1 > /data/in-volume; echo 2 > /made; sleep 60")
    for _ in range(100):
        if p.d.pallet("exec", name, "cat", "/made").stdout == "2\n":
            break
    else:
        raise AssertionError("the container did not write /made")
    image = p.image("cde-live:1")
    p.ok("commit", name, image)
    assert p.inspect(name)["State"]["Status"] == "running"
    p.ok("exec", name, "sh", "-c", "echo 3 > /after")  # still writable, still its own layer
    assert p.ok("exec", name, "cat", "/after") == "3\n"
    names = _layer_names(palletd, image)
    assert "made" in names and "after" not in names
    assert not any(n == "data" or n.startswith("data/") for n in names)
    assert "data" not in p.ok("diff", name).replace("/", " ").split()
    out = p.ok("run", "--rm", "--entrypoint", "", image, "sh", "-c",
               "cat /made; ls /data 2>&1 | wc -l")
    assert out.split()[0] == "2"
    palletd.request("DELETE", "/volumes/cde-vol?force=1")


def test_commit_without_changes_adds_an_empty_history_entry(p: Session,
                                                            palletd: Any) -> None:
    _, name, _ = p.run("busybox", "true")
    image = p.image("cde-empty:1")
    p.ok("commit", "--pause=false", name, image)
    assert p.ok("diff", name) == ""
    doc = palletd.json("GET", f"/images/{image}/json")
    base = palletd.json("GET", "/images/busybox/json")
    assert doc["RootFS"]["Layers"] == base["RootFS"]["Layers"]
    hist = palletd.json("GET", f"/images/{image}/history")
    assert hist[0]["CreatedBy"] == "true" and hist[0]["Size"] == 0


def test_export_stopped_and_running(p: Session, palletd: Any, tmp_path: Path) -> None:
    _, name, _ = p.run("busybox", "sh", "-c", SCRIPT)
    cid = p.inspect(name)["Id"]
    rootfs = Path(palletd.root) / "containers" / cid / "rootfs"
    assert not _mounted(rootfs)
    out = subprocess.run(["pallet", "export", name], env=palletd.env, capture_output=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tf:
        members = {m.name.rstrip("/"): m for m in tf.getmembers()}
    assert "newfile" in members and "bin/busybox" in members and "bin/zcat" not in members
    assert members["bin/sh"].issym() and members["var/spool/z"].isfile()
    assert not _mounted(rootfs)  # mounted for the export only
    listing = subprocess.run(f"pallet export {name} | tar t", shell=True, env=palletd.env,
                             capture_output=True, text=True, timeout=60)
    assert "newfile" in listing.stdout.split() and "etc/x/y/" in listing.stdout.split()
    target = tmp_path / "fs.tar"
    p.ok("export", "-o", str(target), name)
    with tarfile.open(target) as tf:
        assert "newfile" in tf.getnames()
    live = p.run_d("busybox", "sh", "-c", "echo up > /live; sleep 60")
    for _ in range(100):
        if p.d.pallet("exec", live, "cat", "/live").stdout == "up\n":
            break
    out = subprocess.run(["pallet", "export", live], env=palletd.env, capture_output=True,
                         timeout=60)
    with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tf:
        data = tf.extractfile("live")
        assert data is not None and data.read() == b"up\n"
    assert p.inspect(live)["State"]["Status"] == "running"
    missing = p.d.pallet("export", "no-such-container")
    assert missing.returncode == 1 and "No such container" in missing.stderr
