"""kill -9 of palletd at random points of a pull, a build, a commit and 30 parallel
starts (and once in the middle of a load's upload), then a restart: the records, the
runtime and the store agree again.

After every restart nothing of a container palletd does not run remains (runtime
state, conmon, cgroup, netns, mount, exit file, socket link, iptables rule), nor a
spooled upload; no paused or half-started container stays that way, no build step
shows as a container. A pull then completes while image prunes sweep the store in a
loop, ``system df`` accounts for every byte of the store, and ``system prune -af``
brings the store back to its empty skeleton. Kill points are random (the seed is
printed); the whole test is bounded to about two minutes.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from pallet.testing.fake_state import tar_of
from pallet.testing.registry import RegistryServer

pytestmark = pytest.mark.integration

ROUNDS = 2  # per operation
STARTS = 30
BIG = 24_000_000  # bytes of random data per layer of the pulled image
SKELETON = {"content", "content/blobs", "content/blobs/sha256", "content/ingest",
            "snapshots", "snapshots/s", "snapshots/k", "snapshots/l"}


@pytest.fixture
def reg() -> Iterator[RegistryServer]:
    with RegistryServer.serving("none") as server:
        yield server


def _context(dockerfile: str) -> bytes:
    return tar_of("Dockerfile", dockerfile.encode())


def _stream(d: Any, method: str, path: str, body: bytes | None = None,
            timeout: float = 300) -> str:
    status, raw = d.request(method, path, body, timeout=timeout,
                            headers={"Content-Type": "application/x-tar"} if body else None)
    text = raw.decode(errors="replace")
    assert status == 200 and '"error"' not in text, f"{method} {path}: {status} {text[-500:]}"
    return text


class Crasher:
    """One palletd that a test kills and restarts, and what it must have cleaned up."""

    def __init__(self, d: Any, rng: random.Random) -> None:
        self.d = d
        self.rng = rng
        self.seen: set[str] = set()  # ids (or 12-char prefixes) of every container made
        self.restarts: list[float] = []  # seconds each restart took (reconcile and GC)

    def during(self, work: Callable[[], object], low: float, high: float) -> None:
        """Run ``work`` on a thread, kill -9 palletd after a random delay, restart it."""
        errors: list[BaseException] = []

        def run() -> None:
            try:
                work()
            except BaseException as e:  # the daemon dies under it
                errors.append(e)

        t = threading.Thread(target=run, daemon=True)
        t.start()
        time.sleep(self.rng.uniform(low, high))
        self.d.kill()
        t.join(30)
        t0 = time.monotonic()
        self.d.start(timeout=60)
        self.restarts.append(round(time.monotonic() - t0, 1))

    def ids(self) -> dict[str, dict[str, Any]]:
        listing = self.d.json("GET", "/containers/json?all=1")
        self.seen.update(c["Id"] for c in listing)
        return {c["Id"]: c for c in listing}

    def leftovers(self) -> list[str]:
        """What palletd keeps for containers it does not run (empty when all is well)."""
        running = {cid for cid, c in self.ids().items() if c["State"] in ("running", "paused")}
        known = set(self.ids())
        run, root = Path(self.d.run), Path(self.d.root)
        problems: list[str] = []
        crun = subprocess.run(["crun", "--root", str(run / "runtime"), "list", "-q"],
                              capture_output=True, text=True, timeout=30).stdout.split()
        if set(crun) - running:
            problems.append(f"crun state {sorted(set(crun) - running)}")
        conmons = _conmons(str(self.d.base))
        if set(conmons) - running:
            problems.append(f"conmon of {sorted(set(conmons) - running)}")
        for d in ("exits", "s"):
            names = {p.name for p in (run / d).iterdir()} if (run / d).is_dir() else set()
            if names - known:
                problems.append(f"{d}/ entries {sorted(names - known)}")
        spares = {Path(json.loads(f.read_text())["netns"]).name
                  for f in (run / "networks" / "spares").glob("*.json")}
        sandboxes = {Path(self.d.json("GET", f"/containers/{cid}/json")["NetworkSettings"]
                          ["SandboxKey"] or "/").name for cid in running}
        netns = {p.name for p in (run / "netns").iterdir()} - sandboxes - spares - {"_bridge"}
        if netns:
            problems.append(f"netns {sorted(netns)}")
        allowed = {str(run / "netns" / n) for n in os.listdir(run / "netns")}
        allowed |= {str(root / "containers" / cid / "rootfs") for cid in running}
        spooled = [p.name for p in (root / "tmp").glob("*") if p.is_file()]
        if spooled:  # uploads (build contexts here) a killed daemon was receiving
            problems.append(f"spooled uploads {spooled}")
        mounts = [m for m in _mounts(str(self.d.base)) if m not in allowed]
        if mounts:
            problems.append(f"mounts {mounts}")
        gone = [cid for cid in self.seen if cid[:12] not in {r[:12] for r in running}]
        cgroups = [p for p in Path("/sys/fs/cgroup").glob("*/pallet/*")
                   if any(p.name.startswith(g) for g in gone)]
        if cgroups:
            problems.append(f"cgroups {cgroups}")
        rules = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
        if any(g[:12] in rules for g in gone):
            problems.append("iptables rules of removed containers")
        return problems

    def settled(self) -> None:
        """Assert no leftovers (network teardown after a restart runs in the background)."""
        deadline = time.monotonic() + 15
        while (problems := self.leftovers()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert problems == [], f"{problems}\n{self.d.log_tail(40)}"


def _conmons(marker: str) -> list[str]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"conmon") and any(marker.encode() in a for a in argv):
            out.append(argv[argv.index(b"-c") + 1].decode())
    return out


def _half_upload(d: Any, path: str, sent: int, total: int) -> None:
    """Send the first ``sent`` of ``total`` body bytes of ``POST path``, then wait."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(d.socket))
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: d\r\nContent-Type: application/x-tar\r\n"
                 f"Content-Length: {total}\r\n\r\n".encode())
    chunk = b"\0" * (1 << 20)
    for _ in range(sent >> 20):
        sock.sendall(chunk)
    with contextlib.suppress(OSError):
        sock.recv(1)  # until the daemon dies
    sock.close()


def _mounts(base: str) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4].encode().decode("unicode_escape") for line in f]
    return [p for p in points if p.startswith(base + "/")]


def _store(root: Path) -> tuple[int, set[str], list[str]]:
    """(allocated bytes, every entry, the non-directories) under content/ and snapshots/."""
    seen: set[tuple[int, int]] = set()
    total, entries, files = 0, set(), []
    for top in ("content", "snapshots"):
        for p in [root / top, *(root / top).rglob("*")]:
            st = p.lstat()
            rel = str(p.relative_to(root))
            entries.add(rel)
            if not p.is_dir() or p.is_symlink():
                files.append(rel)
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total, entries, files


def test_kill_9_anywhere_then_restart_leaves_nothing(palletd_factory: Any,
                                                   reg: RegistryServer) -> None:
    seed = int(os.environ.get("PALLET_CRASH_SEED") or random.randrange(1 << 30))
    print(f"\ncrash test seed {seed} (PALLET_CRASH_SEED)")
    d = palletd_factory()
    d.start()
    c = Crasher(d, random.Random(seed))
    t0 = time.monotonic()
    marks: list[str] = []  # when each phase started (the test's time budget is ~2 minutes)

    def phase(name: str) -> None:
        marks.append(f"{name} at {time.monotonic() - t0:.0f}s")
    d.bootstrap("busybox")
    big = f"{reg.host}/crash/big"
    layer = f"RUN head -c {BIG} /dev/urandom > /big"
    _stream(d, "POST", f"/build?t={big}&rm=1",
            _context(f"FROM busybox\n{layer}1\n{layer}2\n"))
    _stream(d, "POST", f"/images/{big}/push")
    d.json("DELETE", f"/images/{big}")

    phase("pull")
    # pull: extract snapshots, layer chains, verified blobs and ingest files left behind
    for _ in range(ROUNDS):
        c.during(lambda: d.request("POST", f"/images/create?fromImage={big}&tag=latest",
                                   timeout=120), 0.05, 1.5)
        c.settled()

    phase("build")
    # build: the step container and its layer
    step = f"FROM busybox\nRUN head -c 8000000 /dev/urandom > /f && sleep 0.3\n{layer}3\n"
    for i in range(ROUNDS):
        ctx = _context(step + f"RUN echo {i}{seed} > /g\n")
        c.during(lambda ctx=ctx: _stream(d, "POST", "/build?t=crash-build&rm=1", ctx),
                 0.1, 2.5)
        assert all(not v["Labels"].get("pallet.build") for v in c.ids().values())
        c.settled()

    phase("commit")
    # commit: the source stays paused, a partial blob stays in ingest/
    src = d.json("POST", "/containers/create?name=src", {
        "Image": "busybox", "Cmd": ["sh", "-c", f"head -c {BIG} /dev/urandom > /d; sleep 1000"]})
    d.json("POST", f"/containers/{src['Id']}/start")
    while d.request("GET", f"/containers/{src['Id']}/archive?path=/d")[0] != 200:
        time.sleep(0.1)
    time.sleep(1.0)  # head has written it all
    for _ in range(ROUNDS):
        c.during(lambda: d.request("POST", "/commit?container=src&repo=crash-commit",
                                   timeout=120), 0.05, 1.2)
        state = d.json("GET", "/containers/src/json")["State"]
        assert state["Status"] == "running" and not state["Paused"], state
        c.settled()

    phase("starts")
    # 30 parallel starts: runtime containers left in crun's "created" with their conmon
    for _ in range(ROUNDS):
        made = [d.json("POST", "/containers/create", {
            "Image": "busybox", "Cmd": ["sleep", "1000"],
            "HostConfig": {"PortBindings": {"80/tcp": [{}]} if i % 3 == 0 else {}},
        })["Id"] for i in range(STARTS)]
        c.seen.update(made)

        def start(cid: str) -> None:
            with contextlib.suppress(OSError):  # the daemon dies under it
                d.request("POST", f"/containers/{cid}/start")

        def starts(ids: list[str] = made) -> None:
            threads = [threading.Thread(target=start, args=(cid,), daemon=True)
                       for cid in ids]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)

        c.during(starts, 0.1, 2.0)
        c.settled()
        with ThreadPoolExecutor(8) as pool:
            started = pool.map(lambda cid: d.request("POST", f"/containers/{cid}/start"), made)
            for cid, (status, body) in zip(made, started, strict=True):
                assert status in (204, 304), body
                # start of a record the crash left really starts it
                assert d.json("GET", f"/containers/{cid}/json")["State"]["Running"], cid
            removed = pool.map(lambda cid: d.request("DELETE", f"/containers/{cid}?force=1"),
                               made)
            assert [status for status, _ in removed] == [204] * STARTS
        c.settled()

    phase("upload")
    # a load whose upload the kill cuts: its spooled body goes at the next start
    c.during(lambda: _half_upload(d, "/images/load", 16 << 20, 64 << 20), 1.0, 1.5)
    c.settled()

    phase("prune during pull")
    # a pull after all this works, while prunes sweep the store again and again
    d.request("DELETE", f"/images/{big}?force=1")
    pulled: list[str] = []
    puller = threading.Thread(target=lambda: pulled.append(
        _stream(d, "POST", f"/images/create?fromImage={big}&tag=latest")), daemon=True)
    puller.start()
    prunes = 0
    while puller.is_alive():
        d.json("POST", "/images/prune?filters=" + quote(json.dumps({"dangling": ["false"]})))
        prunes += 1
    puller.join()
    assert pulled and prunes > 1, prunes
    res = d.pallet("run", "--rm", big, "sh", "-c", "cat /big1 /big2 | wc -c")
    assert res.returncode == 0 and res.stdout.strip() == str(2 * BIG), res.stderr

    phase("df")
    # system df accounts for every byte of the store
    df = d.json("GET", "/system/df")
    total, _, _ = _store(Path(d.root))
    rw = sum(int(x.get("SizeRw") or 0) for x in df["Containers"])
    assert df["LayersSize"] + rw == total, (df["LayersSize"], rw, total)

    # with no containers and images, the store is back to its empty skeleton
    d.json("DELETE", "/containers/src?force=1")
    for _ in range(2):  # as with Docker, a tagged build parent (busybox) outlives one pass
        res = d.pallet("system", "prune", "-af", timeout=120)
        assert res.returncode == 0, res.stderr
    assert d.json("GET", "/images/json?all=1") == []
    _, entries, files = _store(Path(d.root))
    assert files == [] and entries <= SKELETON, sorted(entries - SKELETON)[:20]
    c.settled()
    assert c.leftovers() == []
    print(f"crash test: {4 * ROUNDS + 1} kills in {time.monotonic() - t0:.0f}s ({marks}; "
          f"restarts took {c.restarts} s)")

