"""``docker cp`` cannot be steered out of a container (CVE-2018-15664's class).

A process in the container swaps a directory and a symlink to a host directory as
fast as it can while the test copies into and out of that path through the API,
both ways, for a bounded time: no byte of the host directory may come out and no
file may land in it. The same paths are tried on the stopped container with the
symlink left in place. Copies into and out of volumes work, running and stopped.
"""

from __future__ import annotations

import io
import os
import tarfile
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pallet.testing.fake_state import tar_of

pytestmark = pytest.mark.integration

RACE_SECONDS = float(os.environ.get("PALLET_CP_RACE_SECONDS", "60"))
SECRET = b"HOST-SECRET-4f1c"


def _q(path: str) -> str:
    return urllib.parse.quote(path, safe="")


class Ctr:
    def __init__(self, palletd: Any, name: str) -> None:
        self.d = palletd
        self.name = name

    def put(self, path: str, body: bytes) -> int:
        status, _ = self.d.request("PUT", f"/containers/{self.name}/archive?path={_q(path)}",
                                   body, headers={"Content-Type": "application/x-tar"})
        return int(status)

    def get(self, path: str) -> tuple[int, bytes]:
        status, raw = self.d.request("GET", f"/containers/{self.name}/archive?path={_q(path)}")
        return int(status), raw

    def files(self, path: str) -> dict[str, bytes]:
        status, raw = self.get(path)
        assert status == 200, (status, raw[:300])
        out: dict[str, bytes] = {}
        with tarfile.open(fileobj=io.BytesIO(raw)) as tf:
            for m in tf:
                f = tf.extractfile(m) if m.isreg() else None
                out[m.name] = f.read() if f is not None else b""
        return out


@pytest.fixture
def hostdir(tmp_path: Path) -> Path:
    d = tmp_path / "hostdir"
    d.mkdir()
    (d / "secret.txt").write_bytes(SECRET)
    return d


@pytest.fixture
def make(palletd: Any, busybox: str) -> Iterator[Any]:
    made: list[str] = []

    def run(*args: str) -> Ctr:
        name = f"cprace-{uuid.uuid4().hex[:8]}"
        made.append(name)
        res = palletd.pallet("run", "-d", "--name", name, *args, timeout=60)
        assert res.returncode == 0, res.stderr
        return Ctr(palletd, name)

    yield run
    for name in made:
        palletd.request("DELETE", f"/containers/{name}?force=1&v=1")


def _swapper(hostdir: Path) -> str:
    return ("mkdir -p /r/D; echo in-container > /r/D/secret.txt; "
            f"while :; do mkdir -p /r/D; ln -s {hostdir} /r/L 2>/dev/null; "
            "mv /r/D /r/d; mv /r/d /r/D; mv /r/L /r/d; mv /r/d /r/L; done")


def test_cp_race_never_reaches_the_host(make: Any, hostdir: Path) -> None:
    c = make("busybox", "sh", "-c", _swapper(hostdir))
    payload = tar_of("pwned.txt", b"written by cp")
    deadline = time.monotonic() + RACE_SECONDS
    puts = gets = landed = 0
    while time.monotonic() < deadline:
        if c.put("/r/d/", payload) == 200:
            landed += 1
        puts += 1
        _, raw = c.get("/r/d/secret.txt")
        gets += 1
        assert SECRET not in raw, f"cp read the host's file after {gets} tries"
        assert sorted(os.listdir(hostdir)) == ["secret.txt"], (
            f"cp wrote into the host directory after {puts} tries")
        _, raw = c.get("/r/d/")
        assert SECRET not in raw
    assert (hostdir / "secret.txt").read_bytes() == SECRET
    assert puts > 50 and gets > 50, (puts, gets)
    assert landed > 0, "no copy into the container succeeded while it raced"


def test_cp_through_a_symlink_to_a_host_path_of_a_stopped_container(
        make: Any, hostdir: Path, palletd: Any) -> None:
    c = make("busybox", "sh", "-c",
             f"mkdir -p /r && ln -s {hostdir} /r/d && ln -s {hostdir}/secret.txt /r/f")
    palletd.pallet("wait", c.name, timeout=60)
    # The links resolve inside the container, where that path does not exist.
    assert c.put("/r/d/", tar_of("pwned.txt", b"x")) == 400  # a link is not a directory
    assert c.put("/r/d", tar_of("pwned.txt", b"x")) == 404
    assert c.get("/r/d/secret.txt")[0] == 404
    assert c.get("/r/f/")[0] == 404
    status, raw = c.get("/r/f")  # the link itself is copied, as a link
    assert status == 200 and SECRET not in raw
    assert sorted(os.listdir(hostdir)) == ["secret.txt"]


@pytest.mark.parametrize("running", [True, False])
def test_cp_into_and_out_of_a_volume(make: Any, palletd: Any, running: bool) -> None:
    vol = f"cpvol-{uuid.uuid4().hex[:8]}"
    cmd = ["sleep", "1000"] if running else ["true"]
    c = make("-v", f"{vol}:/vol1", "busybox", *cmd)
    try:
        if not running:
            palletd.pallet("wait", c.name, timeout=60)
        assert c.put("/vol1/", tar_of("data.txt", b"in the volume")) == 200
        assert c.files("/vol1/data.txt") == {"data.txt": b"in the volume"}
        assert c.files("/vol1/")["vol1/data.txt"] == b"in the volume"
        source = Path(palletd.json("GET", f"/volumes/{vol}")["Mountpoint"])
        assert (source / "data.txt").read_bytes() == b"in the volume"
    finally:
        palletd.request("DELETE", f"/containers/{c.name}?force=1&v=1")
        palletd.request("DELETE", f"/volumes/{vol}?force=1")


def test_cp_reads_a_running_containers_etc_files_and_tmpfs(make: Any) -> None:
    c = make("--tmpfs", "/scratch", "busybox", "sh", "-c",
             "echo tmp > /scratch/t.txt; sleep 1000")
    deadline = time.monotonic() + 10
    while c.get("/scratch/t.txt")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert c.files("/scratch/t.txt") == {"t.txt": b"tmp\n"}
    hostname = c.d.json("GET", f"/containers/{c.name}/json")["Config"]["Hostname"]
    assert c.files("/etc/hostname") == {"hostname": f"{hostname}\n".encode()}
    hosts = c.files("/etc/hosts")["hosts"]
    assert b"localhost" in hosts
