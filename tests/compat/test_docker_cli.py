"""The real docker CLI (v28, client only) against palletd: what the guide and users type."""

from __future__ import annotations

import json
import tarfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.compat

LONG_SLEEP = "30"


def _wait_for(pred: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _state(docker: Any, name: str, field: str) -> str:
    return str(docker("inspect", "-f", "{{.State." + field + "}}", name).stdout.strip())


def test_version_reports_engine_api_1_44(docker: Any) -> None:
    res = docker("version")
    assert "Server:" in res.stdout
    api = docker("version", "--format", "{{.Server.APIVersion}}").stdout.strip()
    assert api == "1.44"
    assert docker("version", "--format", "{{.Server.Os}}").stdout.strip() == "linux"


def test_info_is_valid(docker: Any) -> None:
    info = json.loads(docker("info", "--format", "{{json .}}").stdout)
    assert isinstance(info["Containers"], int)
    assert info["OSType"] == "linux"
    assert info["Images"] >= 1
    assert "Server Version" in docker("info").stdout


def test_run_rm_prints_output(docker: Any) -> None:
    res = docker("run", "--rm", "busybox", "echo", "hi")
    assert res.stdout == "hi\n"


def test_run_exit_code_passes_through(docker: Any, cleanup: Any) -> None:
    name = cleanup.container("cx-exit3")
    res = docker("run", "--name", name, "busybox", "sh", "-c", "exit 3", check=False)
    assert res.returncode == 3, res.stderr
    assert _state(docker, name, "ExitCode") == "3"
    assert _state(docker, name, "Status") == "exited"


def test_run_missing_command_exits_127(docker: Any, cleanup: Any) -> None:
    name = cleanup.container("cx-nosuch")
    res = docker("run", "--name", name, "busybox", "nosuchcmd", check=False)
    assert res.returncode == 127, (res.stdout, res.stderr)
    assert "nosuchcmd" in res.stderr


def test_detached_container_lifecycle(docker: Any, cleanup: Any, tmp_path: Path) -> None:
    name = cleanup.container("cx-life")
    cid = docker("run", "-d", "--name", name, "busybox", "sh", "-c",
                 f"echo out; echo err >&2; exec sleep {LONG_SLEEP}").stdout.strip()
    assert len(cid) == 64
    names = docker("ps", "--format", "{{.Names}}").stdout.split()
    assert name in names
    assert _state(docker, name, "Status") == "running"

    # logs: both streams, kept apart
    def logged() -> bool:
        res = docker("logs", name)
        return "out" in res.stdout and "err" in res.stderr

    _wait_for(logged, what="docker logs to show out and err")
    res = docker("logs", name)
    assert res.stdout == "out\n" and res.stderr == "err\n"

    # exec: output and exit code
    assert docker("exec", name, "echo", "hi").stdout == "hi\n"
    assert docker("exec", name, "sh", "-c", "exit 4", check=False).returncode == 4

    # top shows the process
    assert "sleep" in docker("top", name).stdout

    # cp both ways
    src = tmp_path / "in.txt"
    src.write_text("from host\n")
    docker("cp", str(src), f"{name}:/tmp/in.txt")
    assert docker("exec", name, "cat", "/tmp/in.txt").stdout == "from host\n"
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    docker("cp", f"{name}:/etc/passwd", str(out_dir))
    assert (out_dir / "passwd").read_text().startswith("root:")

    # pause / unpause
    docker("pause", name)
    assert _state(docker, name, "Status") == "paused"
    docker("unpause", name)
    assert _state(docker, name, "Status") == "running"

    # rename, then inspect under the new name
    new = cleanup.container("cx-life-renamed")
    docker("rename", name, new)
    assert docker("inspect", "-f", "{{.Name}}", new).stdout.strip() == "/" + new
    assert docker("inspect", name, check=False).returncode != 0

    # stop: sleep as PID 1 ignores SIGTERM -> killed after the timeout -> 137
    docker("stop", "-t", "1", new)
    assert _state(docker, new, "Status") == "exited"
    assert _state(docker, new, "ExitCode") == "137"
    assert new not in docker("ps", "--format", "{{.Names}}").stdout.split()
    assert new in docker("ps", "-a", "--format", "{{.Names}}").stdout.split()

    docker("rm", new)
    assert docker("inspect", new, check=False).returncode != 0
    assert new not in docker("ps", "-a", "--format", "{{.Names}}").stdout.split()


def test_stop_with_term_trap_exits_143(docker: Any, cleanup: Any) -> None:
    name = cleanup.container("cx-trap")
    docker("run", "-d", "--name", name, "busybox", "sh", "-c",
           "trap 'exit 143' TERM; while true; do sleep 0.1; done")
    _wait_for(lambda: _state(docker, name, "Running") == "true", what="running")
    time.sleep(0.3)  # let sh install the trap
    started = time.monotonic()
    docker("stop", "-t", "10", name)
    assert time.monotonic() - started < 8, "TERM was not delivered (stop waited for KILL)"
    assert _state(docker, name, "ExitCode") == "143"


def test_wait_returns_exit_code(docker: Any, cleanup: Any) -> None:
    name = cleanup.container("cx-wait")
    docker("run", "-d", "--name", name, "busybox", "sh", "-c", "sleep 0.5; exit 7")
    assert docker("wait", name, timeout=30).stdout.strip() == "7"


def test_container_prune_removes_stopped_only(docker: Any, cleanup: Any) -> None:
    stopped = cleanup.container("cx-prune-stopped")
    running = cleanup.container("cx-prune-running")
    docker("run", "--name", stopped, "busybox", "true")
    docker("run", "-d", "--name", running, "busybox", "sleep", LONG_SLEEP)
    docker("container", "prune", "-f")
    assert docker("inspect", stopped, check=False).returncode != 0
    assert _state(docker, running, "Status") == "running"


def test_images_tag_inspect_rmi(docker: Any, cleanup: Any) -> None:
    listing = docker("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    assert "busybox:latest" in listing
    ref = cleanup.image("cx-tagged:1.0")
    docker("tag", "busybox", ref)
    assert ref in docker("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    info = json.loads(docker("inspect", ref).stdout)
    assert len(info) == 1
    base = json.loads(docker("image", "inspect", "busybox").stdout)[0]
    assert info[0]["Id"] == base["Id"] and info[0]["Id"].startswith("sha256:")
    assert ref in info[0]["RepoTags"]
    assert docker("run", "--rm", ref, "echo", "tagged").stdout == "tagged\n"
    docker("rmi", ref)
    assert ref not in docker("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    # the original name still resolves: rmi of one tag only untags
    assert docker("image", "inspect", "busybox", check=False).returncode == 0


def test_save_rmi_load(docker: Any, cleanup: Any, tmp_path: Path) -> None:
    ref = cleanup.image("cx-saved:1")
    docker("tag", "busybox", ref)
    archive = tmp_path / "f.tar"
    docker("save", ref, "-o", str(archive), timeout=120)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        assert "manifest.json" in names
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert manifest[0]["RepoTags"] == [ref]
    docker("rmi", ref)
    assert docker("image", "inspect", ref, check=False).returncode != 0
    res = docker("load", "-i", str(archive), timeout=120)
    assert ref in res.stdout
    assert docker("run", "--rm", ref, "echo", "loaded").stdout == "loaded\n"


def test_save_then_load_into_fresh_daemon(
    docker: Any, palletd_factory: Any, tmp_path: Path
) -> None:
    """The archive is self-contained: a daemon that never saw busybox can run it after load."""
    archive = tmp_path / "busybox.tar"
    docker("save", "busybox", "-o", str(archive), timeout=120)
    other = palletd_factory()
    other.start()
    import subprocess

    def odocker(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["/usr/local/bin/docker", *args], env=other.env,
                              capture_output=True, text=True, timeout=120)

    assert odocker("image", "inspect", "busybox").returncode != 0
    res = odocker("load", "-i", str(archive))
    assert res.returncode == 0, res.stderr
    assert "busybox" in res.stdout
    res = odocker("run", "--rm", "busybox", "echo", "fresh")
    assert (res.returncode, res.stdout) == (0, "fresh\n"), res.stderr
