"""crun/runc + conmon through pallet.runtime (root, real binaries, plain-dir busybox rootfs)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from pallet.errors import CommandFailed
from pallet.logs.reader import read_logs
from pallet.runtime.attach import AttachConnection
from pallet.runtime.conmon import ConmonRuntime
from pallet.runtime.exits import ExitWatcher
from pallet.runtime.hostcheck import check_host, daemon_rlimits, hybrid_leftover_controllers
from pallet.runtime.seccomp import default_seccomp
from pallet.runtime.spec import generate_spec
from pallet.runtime.specinput import SpecInput

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]

T = TypeVar("T")
RUNTIMES = {"crun": "/usr/bin/crun", "runc": "/usr/sbin/runc"}
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


@pytest.fixture(scope="session")
def host_ready() -> None:
    """The host check applies the hybrid-cgroup fix crun needs on this machine."""
    check_host("crun")


@pytest.fixture(scope="session")
def rootfs() -> Iterator[Path]:
    top = Path(tempfile.mkdtemp(prefix="pallet-rt-rootfs-"))
    root = top / "rootfs"
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp", "root"):
        (root / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2("/usr/bin/busybox", root / "bin" / "busybox")
    applets = subprocess.run(["/usr/bin/busybox", "--list-full"], capture_output=True,
                             text=True, check=True).stdout.split()
    for a in applets:
        p = root / a
        if a != "bin/busybox" and not p.exists() and not p.is_symlink():
            p.parent.mkdir(parents=True, exist_ok=True)
            p.symlink_to("/bin/busybox")
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "etc/group").write_text("root:x:0:\n")
    (root / "bin/notexec").write_text("#!/bin/sh\necho no\n")
    (root / "bin/notexec").chmod(0o644)
    yield root
    shutil.rmtree(top, ignore_errors=True)


class Env:
    """A private runtime root, exits/socket dirs and bundles; deletes everything after."""

    def __init__(self, runtime: str, rootfs: Path) -> None:
        self.top = Path(tempfile.mkdtemp(prefix="pallet-rt-"))
        self.rootfs = rootfs
        self.runtime_path = RUNTIMES[runtime]
        self.rt = ConmonRuntime(self.runtime_path, "/usr/bin/conmon", self.top / "state",
                                self.top / "exits", self.top / "s")
        self.cids: list[str] = []
        self.cgroup_parent = "/" + self.top.name
        self.seccomp = default_seccomp(
            ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
             "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
             "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"])

    def bundle(self, cid: str, args: list[str], **kw: Any) -> Path:
        b = self.top / "c" / cid
        b.mkdir(parents=True, exist_ok=True)
        env = [PATH_ENV, f"HOSTNAME={cid[:12]}"] + (["TERM=xterm"] if kw.get("terminal") else [])
        inp = SpecInput(args=args, rootfs=str(self.rootfs), env=env, hostname=cid[:12],
                        seccomp=self.seccomp, rlimits=[("nofile", 1048576, 1048576)],
                        rlimit_ceiling=daemon_rlimits(), cgroups_path=f"{self.cgroup_parent}/{cid}",
                        **kw)
        (b / "config.json").write_text(json.dumps(generate_spec(inp)))
        self.cids.append(cid)
        return b

    async def run_container(self, cid: str, args: list[str], **kw: Any) -> tuple[Path, int]:
        b = self.bundle(cid, args, **kw)
        pid = await self.rt.create(cid, b, terminal=bool(kw.get("terminal")), stdin=False,
                                   log_path=b / "ctr.log")
        await self.rt.start(cid)
        return b, pid

    async def wait_exit(self, cid: str, b: Path, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.rt.exit_code(cid, b)
            if code is not None:
                return code
            await asyncio.sleep(0.01)
        raise AssertionError(f"{cid} did not exit")

    def cleanup(self) -> None:
        for cid in self.cids:
            subprocess.run([self.runtime_path, "--root", str(self.top / "state"), "delete",
                            "--force", cid], capture_output=True)
            pid = self.rt.conmon_pid(self.top / "c" / cid)
            if pid is not None:
                try:
                    if Path(f"/proc/{pid}/comm").read_text().strip() == "conmon":
                        os.kill(pid, signal.SIGKILL)
                except (OSError, ProcessLookupError):
                    pass
        for ctrl in Path("/sys/fs/cgroup").iterdir():
            parent = ctrl / self.cgroup_parent.lstrip("/")
            for d in ([*parent.iterdir(), parent] if parent.is_dir() else []):
                if d.is_dir():
                    try:
                        d.rmdir()
                    except OSError:
                        pass
        shutil.rmtree(self.top, ignore_errors=True)


@pytest.fixture(params=["crun", "runc"])
def env(request: pytest.FixtureRequest, rootfs: Path, host_ready: None) -> Iterator[Env]:
    e = Env(request.param, rootfs)
    try:
        yield e
    finally:
        e.cleanup()


@pytest.fixture
def crun_env(rootfs: Path, host_ready: None) -> Iterator[Env]:
    e = Env("crun", rootfs)
    try:
        yield e
    finally:
        e.cleanup()


def alive(pid: int) -> bool:
    """Running and not a zombie (this sandbox's pid 1 reaps orphans late)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def read_all(conn: Any, timeout: float = 10.0) -> list[tuple[int, bytes]]:
    frames: list[tuple[int, bytes]] = []
    while True:
        frame = await asyncio.wait_for(conn.read(), timeout)
        if frame is None:
            return frames
        frames.append(frame)


def test_echo_via_attach_and_log(env: Env) -> None:
    async def main() -> None:
        cid = "echo1"
        b = env.bundle(cid, ["sh", "-c", "echo hi; echo oops >&2"])
        pid = await env.rt.create(cid, b, terminal=False, stdin=False, log_path=b / "ctr.log")
        assert pid > 0
        st = await env.rt.state(cid)
        assert st is not None and st.status == "created" and st.pid == pid
        conn = await AttachConnection.open(env.rt.attach_socket_path(cid, b))
        await env.rt.start(cid)
        frames = await read_all(conn)
        conn.close()
        assert b"".join(d for s, d in frames if s == 1) == b"hi\n"
        assert b"".join(d for s, d in frames if s == 2) == b"oops\n"
        assert await env.wait_exit(cid, b) == 0
        recs = read_logs(b / "ctr.log")
        assert [(r.stream, r.data) for r in recs] == [(1, b"hi\n"), (2, b"oops\n")]
        assert read_logs(b / "ctr.log", stderr=False)[0].data == b"hi\n"
        assert (await env.rt.state(cid)).status == "stopped"  # type: ignore[union-attr]
        await env.rt.delete(cid)
        assert await env.rt.state(cid) is None
        await env.rt.delete(cid)  # tolerated

    run(main())


def test_exit_code(env: Env) -> None:
    async def main() -> None:
        b, _ = await env.run_container("exit3", ["sh", "-c", "exit 3"])
        assert await env.wait_exit("exit3", b) == 3
        assert not env.rt.oom_killed(b)

    run(main())


def test_term_trapped_143_and_kill_137(env: Env) -> None:
    async def main() -> None:
        b, _ = await env.run_container(
            "trap1", ["sh", "-c", "trap 'exit 143' TERM; echo ready; while :; do sleep 0.05; done"])
        b2, _ = await env.run_container("sleep1", ["sleep", "60"])
        await asyncio.sleep(0.3)
        await env.rt.kill("trap1", signal.SIGTERM)
        await env.rt.kill("sleep1", signal.SIGKILL)
        assert await env.wait_exit("trap1", b) == 143
        assert await env.wait_exit("sleep1", b2) == 137

    run(main())


def test_create_failure_reports_runtime_message(env: Env) -> None:
    async def main() -> None:
        b = env.bundle("bad1", ["nosuchcmd"])
        with pytest.raises(CommandFailed) as ei:
            await env.rt.create("bad1", b, terminal=False, stdin=False, log_path=b / "ctr.log")
        assert "nosuchcmd" in str(ei.value) and "not found" in str(ei.value)
        assert await env.rt.state("bad1") is None
        pid = env.rt.conmon_pid(b)
        await asyncio.sleep(0.2)
        assert pid is None or not alive(pid)

    run(main())


def test_exec_output_and_exit_codes(env: Env) -> None:
    async def main() -> None:
        b, _ = await env.run_container("exec1", ["sleep", "60"])
        proc = {"args": ["sh", "-c", "echo out; echo err >&2; exit 7"], "env": [PATH_ENV],
                "cwd": "/", "user": {"uid": 0, "gid": 0}}
        ex = await env.rt.exec("exec1", proc, tty=False, stdin=False)
        frames = await read_all(ex)
        assert await ex.wait() == 7
        await ex.close()
        assert b"".join(d for s, d in frames if s == 1) == b"out\n"
        assert b"".join(d for s, d in frames if s == 2) == b"err\n"
        # stdin round trip
        ex = await env.rt.exec("exec1", dict(proc, args=["cat"]), tty=False, stdin=True)
        await ex.write(b"piped\n")
        await ex.close_stdin()
        frames = await read_all(ex)
        assert await ex.wait() == 0 and frames == [(1, b"piped\n")]
        await ex.close()
        for args, code in ((["nosuchcmd"], 126), (["/bin/notexec"], 126)):
            ex = await env.rt.exec("exec1", dict(proc, args=args), tty=False, stdin=False)
            await read_all(ex)
            assert await ex.wait() == code, args
            await ex.close()
        await env.rt.kill("exec1", signal.SIGKILL)
        assert await env.wait_exit("exec1", b) == 137

    run(main())


def test_exec_tty(crun_env: Env) -> None:
    async def main() -> None:
        await crun_env.run_container("tty1", ["sleep", "60"])
        proc = {"args": ["sh", "-c", "tty; stty size"], "env": [PATH_ENV, "TERM=xterm"],
                "cwd": "/", "user": {"uid": 0, "gid": 0},
                "consoleSize": {"height": 30, "width": 90}}
        ex = await crun_env.rt.exec("tty1", proc, tty=True, stdin=True)
        ex.resize(30, 90)
        frames = await read_all(ex)
        assert await ex.wait() == 0
        await ex.close()
        out = b"".join(d for _, d in frames).replace(b"\r", b"")
        assert out.startswith(b"/dev/pts/"), out
        assert b"30 90" in out
        # interactive: resize on the pty master, then type
        ex = await crun_env.rt.exec("tty1", dict(proc, args=["sh"]), tty=True, stdin=True)
        ex.resize(20, 70)
        await ex.write(b"stty size; exit 3\n")
        frames = await read_all(ex)
        assert await ex.wait() == 3
        await ex.close()
        assert b"20 70" in b"".join(d for _, d in frames)

    run(main())


def test_tty_container_attach_and_resize(crun_env: Env) -> None:
    async def main() -> None:
        env = crun_env
        b = env.bundle("ttyc", ["sh"], terminal=True)
        await env.rt.create("ttyc", b, terminal=True, stdin=True, log_path=b / "ctr.log")
        conn = await AttachConnection.open(env.rt.attach_socket_path("ttyc", b))
        await env.rt.start("ttyc")
        await env.rt.resize(b, 40, 100)
        await asyncio.sleep(0.2)
        await conn.write(b"stty size; tty; exit 5\n")
        frames = await read_all(conn)
        conn.close()
        out = b"".join(d for s, d in frames)
        assert all(s == 1 for s, _ in frames)
        assert b"40 100\r\n/dev/pts/" in out
        assert await env.wait_exit("ttyc", b) == 5

    run(main())


def test_pause_resume_and_exit_watcher(env: Env) -> None:
    async def main() -> None:
        watcher = ExitWatcher(env.top / "exits")
        try:
            b, _ = await env.run_container("pz", ["sh", "-c", "sleep 0.5; exit 42"])
            await env.rt.pause("pz")
            assert (await env.rt.state("pz")).status == "paused"  # type: ignore[union-attr]
            await env.rt.resume("pz")
            assert (await env.rt.state("pz")).status == "running"  # type: ignore[union-attr]
            cid = await asyncio.wait_for(watcher.get(), 10)
            assert cid == "pz"
            assert env.rt.exit_code("pz", b) == 42
        finally:
            watcher.close()

    run(main())


LAUNCHER = """
import asyncio, json, sys
from pathlib import Path
from pallet.runtime.conmon import ConmonRuntime
top, rt_path, cid = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
async def main():
    rt = ConmonRuntime(rt_path, "/usr/bin/conmon", top / "state", top / "exits", top / "s")
    b = top / "c" / cid
    pid = await rt.create(cid, b, terminal=False, stdin=False, log_path=b / "ctr.log")
    await rt.start(cid)
    print(json.dumps({"pid": pid, "conmon": rt.conmon_pid(b)}))
asyncio.run(main())
"""


def test_container_outlives_creator(env: Env) -> None:
    env.bundle("detached", ["sleep", "60"])
    out = subprocess.run([sys.executable, "-c", LAUNCHER, str(env.top), env.runtime_path,
                          "detached"], capture_output=True, text=True, timeout=60, check=True,
                         env=dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2] / "src")))
    info = json.loads(out.stdout)
    time.sleep(0.3)
    st = subprocess.run([env.runtime_path, "--root", str(env.top / "state"), "state",
                         "detached"], capture_output=True, text=True, check=True)
    doc = json.loads(st.stdout)
    assert doc["status"] == "running" and doc["pid"] == info["pid"]
    stat = Path(f"/proc/{info['conmon']}/stat").read_text()
    assert int(stat.rsplit(")", 1)[1].split()[1]) != os.getpid()
    run(env.rt.kill("detached", signal.SIGKILL))
    assert run(env.wait_exit("detached", env.top / "c" / "detached")) == 137


def test_host_check_applies_hybrid_fix() -> None:
    facts = check_host("crun")
    assert facts.runtime_name == "crun", facts.warnings
    assert facts.conmon_path.endswith("conmon")
    assert facts.catatonit_path is not None
    assert hybrid_leftover_controllers() == []
    assert facts.rlimits["RLIMIT_NOFILE"] > 0
    assert facts.seccomp_profile is not None
    if facts.cgroup_layout == "hybrid":
        assert Path("/sys/fs/cgroup/hugetlb/cgroup.procs").exists()


def test_init_catatonit(crun_env: Env) -> None:
    async def main() -> None:
        b, _ = await crun_env.run_container(
            "init1", ["sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; exit 4"],
            init="/usr/bin/catatonit")
        assert await crun_env.wait_exit("init1", b) == 4
        assert read_logs(b / "ctr.log")[0].data.startswith(b"/dev/init -- sh")

    run(main())


def _bench(env: Env, n: int = 20) -> float:
    async def one(i: int) -> float:
        cid = f"bench{i}"
        b = env.bundle(cid, ["true"])
        t = time.perf_counter()
        await env.rt.create(cid, b, terminal=False, stdin=False, log_path=b / "ctr.log")
        await env.rt.start(cid)
        watcher_code = await env.wait_exit(cid, b)
        elapsed = time.perf_counter() - t
        assert watcher_code == 0
        await env.rt.delete(cid, force=True)
        return elapsed

    async def main() -> list[float]:
        return [await one(i) for i in range(n)]

    return statistics.median(run(main()))


def test_bench_create_start_exit(env: Env, record_property: Callable[[str, Any], None]) -> None:
    median = _bench(env)
    record_property("median_ms", round(median * 1000, 1))
    print(f"\n{os.path.basename(env.runtime_path)} create+start+exit median "
          f"{median * 1000:.1f} ms")
    assert median < 1.0
