"""The pallet CLI itself against a real palletd: exit codes, errors, daemon restarts, a TTY."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.compat


def _inspect(palletd: Any, name: str) -> dict[str, Any]:
    info: dict[str, Any] = palletd.json("GET", f"/containers/{name}/json")
    return info


def _wait_state(palletd: Any, name: str, key: str, want: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _inspect(palletd, name)["State"][key] == want:
            return
        time.sleep(0.1)
    raise AssertionError(f"{name}: State.{key} never became {want!r}")


def _one_line_error(stderr: str) -> str:
    lines = [x for x in stderr.splitlines() if x.strip()]
    assert len(lines) == 1, f"expected a one-line error, got: {stderr!r}"
    assert "Traceback" not in stderr
    return lines[0]


def test_run_rm_echo(pallet: Any) -> None:
    res = pallet("run", "--rm", "busybox", "echo", "hi")
    assert (res.returncode, res.stdout) == (0, "hi\n"), res.stderr


def test_version_needs_no_daemon(palletd: Any, tmp_path: Path) -> None:
    """`pallet --version` answers without contacting (or auto-starting) a daemon."""
    exe = shutil.which("pallet")
    assert exe, "pallet CLI not installed"
    env = dict(palletd.env, PALLET_HOST=f"unix://{tmp_path}/none.sock",
               PALLET_RUN=str(tmp_path / "run"), PALLET_ROOT=str(tmp_path / "root"))
    res = subprocess.run([exe, "--version"], env=env, capture_output=True, text=True,
                         timeout=30)
    assert res.returncode == 0, res.stderr
    assert re.search(r"\d+\.\d+", res.stdout), res.stdout
    assert not (tmp_path / "run").exists()


def test_run_exit_code(pallet: Any, cleanup: Any) -> None:
    name = cleanup.container("pc-exit3")
    res = pallet("run", "--name", name, "busybox", "sh", "-c", "exit 3")
    assert res.returncode == 3, res.stderr


@pytest.mark.parametrize("runtime", ["crun", "runc"])
def test_runtime_is_selectable(pallet: Any, palletd: Any, cleanup: Any, runtime: str) -> None:
    name = cleanup.container(f"pc-rt-{runtime}")
    res = pallet("run", "-d", "--name", name, "--runtime", runtime, "busybox", "sleep", "30")
    assert res.returncode == 0, res.stderr
    cid = res.stdout.strip()
    state_dir = "runtime" if runtime == "crun" else "runtime-runc"
    assert (Path(palletd.run) / state_dir / cid).is_dir()  # that runtime holds its state
    res = pallet("exec", name, "echo", "in-" + runtime)
    assert res.stdout.strip() == "in-" + runtime
    assert pallet("stop", "-t", "1", name).returncode == 0
    state = _inspect(palletd, name)
    assert (state["HostConfig"]["Runtime"], state["State"]["ExitCode"]) == (runtime, 137)


def test_run_missing_command_127(pallet: Any, cleanup: Any) -> None:
    name = cleanup.container("pc-nosuch")
    res = pallet("run", "--name", name, "busybox", "nosuchcmd")
    assert res.returncode == 127, (res.stdout, res.stderr)
    assert "nosuchcmd" in _one_line_error(res.stderr)


@pytest.mark.parametrize(
    ("cmd", "code"),
    [
        (["sleep", "30"], 137),
        (["sh", "-c", "trap 'exit 143' TERM; while true; do sleep 0.1; done"], 143),
    ],
    ids=["ignores-term", "traps-term"],
)
def test_stop_exit_codes(pallet: Any, palletd: Any, cleanup: Any, cmd: list[str],
                         code: int) -> None:
    name = cleanup.container(f"pc-stop-{code}")
    res = pallet("run", "-d", "--name", name, "busybox", *cmd)
    assert res.returncode == 0, res.stderr
    _wait_state(palletd, name, "Running", True)
    time.sleep(0.3)  # let sh install its trap
    res = pallet("stop", "-t", "1", name)
    assert res.returncode == 0, res.stderr
    state = _inspect(palletd, name)["State"]
    assert (state["Status"], state["ExitCode"]) == ("exited", code)


@pytest.mark.parametrize("ref", ["NOT_valid::ref", "busybox:bad tag", "bad/@/ref"])
def test_bad_image_reference_is_one_line_125(pallet: Any, ref: str) -> None:
    res = pallet("run", "--rm", ref, "true")
    assert res.returncode == 125, (res.stdout, res.stderr)
    _one_line_error(res.stderr)


def _truncated_archive(palletd: Any) -> bytes:
    status, raw = palletd.request("GET", "/images/get?names=busybox", timeout=120)
    assert status == 200 and len(raw) > 4096
    return bytes(raw[: len(raw) // 2])


@pytest.mark.parametrize("kind", ["garbage", "truncated"])
def test_load_corrupt_tarball_changes_nothing(
    pallet: Any, palletd: Any, tmp_path: Path, kind: str
) -> None:
    listing = ("images", "-a", "--no-trunc", "--format",
               "{{.ID}} {{.Repository}}:{{.Tag}} {{.Size}}")  # no "N seconds ago" to drift
    before = pallet(*listing)
    assert before.returncode == 0 and before.stdout.strip(), before.stderr
    bad = tmp_path / "bad.tar"
    if kind == "garbage":
        bad.write_bytes(b"this is not a tar archive\n" * 100)
    else:
        bad.write_bytes(_truncated_archive(palletd))
    res = pallet("load", "-i", str(bad))
    assert res.returncode != 0
    _one_line_error(res.stderr)
    after = pallet(*listing)
    assert after.stdout == before.stdout


def test_containers_survive_daemon_kill(palletd_factory: Any) -> None:
    """kill -9 palletd: containers keep running; a restarted palletd finds them and the exit
    code of one that ended while no daemon was there."""
    d = palletd_factory()
    d.start()
    d.bootstrap("busybox")
    res = d.pallet("run", "-d", "--name", "keeps", "busybox", "sleep", "120")
    assert res.returncode == 0, res.stderr
    res = d.pallet("run", "-d", "--name", "ends", "busybox", "sh", "-c", "sleep 2; exit 9")
    assert res.returncode == 0, res.stderr
    pid = _inspect(d, "keeps")["State"]["Pid"]
    assert pid > 0

    d.kill(signal.SIGKILL)
    time.sleep(3)  # "ends" exits while no daemon runs
    os.kill(pid, 0)  # still alive
    assert b"sleep" in Path(f"/proc/{pid}/cmdline").read_bytes()

    d.start()
    ps = d.pallet("ps")
    assert ps.returncode == 0, ps.stderr
    assert "keeps" in ps.stdout and "ends" not in ps.stdout
    assert "ends" in d.pallet("ps", "-a").stdout
    keeps = _inspect(d, "keeps")["State"]
    assert keeps["Running"] is True and keeps["Pid"] == pid
    ends = _inspect(d, "ends")["State"]
    assert (ends["Status"], ends["ExitCode"]) == ("exited", 9)
    # and the restarted daemon can still manage the survivor
    res = d.pallet("stop", "-t", "1", "keeps")
    assert res.returncode == 0, res.stderr
    assert _inspect(d, "keeps")["State"]["ExitCode"] == 137


def _read_until(fd: int, pattern: bytes, timeout: float, buf: bytearray) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return pattern in buf
            if not chunk:
                return pattern in buf
            buf += chunk
            if pattern in buf:
                return True
    return pattern in buf


def test_interactive_tty_session(palletd: Any, busybox: str, cleanup: Any) -> None:
    exe = shutil.which("pallet")
    assert exe, "pallet CLI not installed"
    name = cleanup.container("pc-tty")
    pid, fd = pty.fork()
    if pid == 0:  # child: becomes `pallet run -it` on the pty
        try:
            os.execve(exe, [exe, "run", "-it", "--name", name, "busybox", "sh"], palletd.env)
        finally:
            os._exit(126)
    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        out = bytearray()
        assert _read_until(fd, b"# ", 30, out), f"no shell prompt; got {bytes(out)!r}"
        os.write(fd, b"echo hi; exit 5\n")
        _read_until(fd, b"\x00never", 15, out)  # read to EOF
        _, status = os.waitpid(pid, 0)
        pid = 0
        assert os.WIFEXITED(status), status
        assert os.waitstatus_to_exitcode(status) == 5, bytes(out)
        assert re.search(rb"(?m)^hi\r?$", bytes(out)), bytes(out)
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
