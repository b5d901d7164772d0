"""``pallet compose`` against a real palletd: the guide's six projects (the checks every
compose tier shares, tests/compose/guide_checks.py), and a project that ``pallet compose``
and the real Compose v2 manage in turns, each seeing the other's containers as its own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compose"))

import compose_projects as cp
import guide_checks

pytestmark = [pytest.mark.integration]

PROJECTS = ["stack", "networks", "env", "healthy", "hardened", "volumes"]


@pytest.fixture(scope="module")
def engine(palletd: Any, busybox: str) -> cp.Runner:
    """The pallet CLI on the session daemon, failing on a non-zero exit."""
    return cp.pallet_cli(palletd.env)


@pytest.fixture(scope="module")
def standins(engine: cp.Runner) -> None:
    cp.build_standins(engine)


def pallet_compose(project: str, env: dict[str, str], name: str | None = None) -> cp.Compose:
    return cp.Compose([str(shutil.which("pallet")), "compose"], project, env, name)


@pytest.mark.parametrize("project", PROJECTS)
def test_guide_project(project: str, standins: None, palletd: Any, engine: cp.Runner) -> None:
    getattr(guide_checks, f"check_{project}")(pallet_compose(project, palletd.env), engine)


def _ids(compose: cp.Compose) -> dict[str, str]:
    return {s: str(r["ID"]) for s, r in cp.ps(compose, "-a").items()}


def _resource_hashes(engine: cp.Runner, project: str) -> dict[str, str]:
    """The config-hash label of each of the project's networks and volumes."""
    out = {}
    for kind in ("network", "volume"):
        names = engine(kind, "ls", "-q", "--filter",
                       f"label=com.docker.compose.project={project}").stdout.split()
        if kind == "network":  # ls -q lists network IDs
            names = [engine("network", "inspect", "-f", "{{.Name}}", n).stdout.strip()
                     for n in names]
        for name in names:
            labels = engine(kind, "inspect", "-f", "{{json .Labels}}", name).stdout
            out[f"{kind} {name}"] = json.loads(labels).get("com.docker.compose.config-hash", "")
    return out


def test_pallet_compose_and_compose_v2_manage_each_others_projects(
        standins: None, palletd: Any, engine: cp.Runner) -> None:
    port = str(cp.free_port())
    ours = pallet_compose("stack", palletd.env, "crossed").using(WEB_PORT=port)
    theirs = cp.Compose([cp.compose_v2()], "stack", palletd.env, "crossed").using(WEB_PORT=port)
    try:
        theirs("up", "-d", "--wait", timeout=180)
        before = _ids(theirs)
        hashes = _resource_hashes(engine, "crossed")
        assert hashes and all(hashes.values()), hashes
        # pallet compose lists it, finds it up to date (same config hash), stops and removes it
        assert "crossed" in engine("compose", "ls", "-q").stdout.split()
        ours("up", "-d", timeout=180)
        assert _ids(ours) == before
        assert set(cp.ps(ours)) == {"web", "db", "redis"}
        ours("stop", "-t", "2")
        assert {r["State"] for r in cp.ps(ours, "-a").values()} == {"exited"}
        ours("down", "-t", "2")
        assert cp.ps(theirs, "-a") == {}
        # and the other way round
        ours("up", "-d", "--wait", timeout=180)
        before = _ids(ours)
        # pallet compose labels networks and volumes with Compose v2's hash of them
        assert _resource_hashes(engine, "crossed") == hashes
        theirs("up", "-d", timeout=180)
        assert _ids(theirs) == before
        assert set(cp.ps(theirs)) == {"web", "db", "redis"}
        theirs("down", "-v", "-t", "2")
        assert cp.ps(ours, "-a") == {}
        assert not {v for v in cp.volumes(engine) if v.startswith("crossed_")}
    finally:
        ours("down", "-v", "-t", "1", check=False)


def test_down_by_project_name_alone_and_orphans(standins: None, palletd: Any,
                                                 engine: cp.Runner, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  a: {image: busybox, command: sleep 100, init: true}\n"
        "  b: {image: busybox, command: sleep 100, init: true, depends_on: [a]}\n")
    env = palletd.env
    pallet = str(shutil.which("pallet"))

    def run(*args: str, cwd: Path = tmp_path) -> subprocess.CompletedProcess[str]:
        return cp.run([pallet, "compose", *args], env=env, cwd=cwd)

    try:
        run("-p", "orph", "up", "-d", "--scale", "b=2")
        names = run("-p", "orph", "ps", "--format", "{{.Name}}").stdout.split()
        assert names == ["orph-a-1", "orph-b-1", "orph-b-2"]
        (tmp_path / "compose.yaml").write_text(
            "services:\n  a: {image: busybox, command: sleep 100, init: true}\n")
        res = run("-p", "orph", "up", "-d")
        assert "Found orphan containers" in res.stderr
        run("-p", "orph", "up", "-d", "--remove-orphans")
        assert run("-p", "orph", "ps", "-q").stdout.count("\n") == 1
        # no compose file: the project is found by its labels
        run("-p", "orph", "down", "-t", "1", cwd=Path("/"))
        assert "orph" not in engine("compose", "ls", "-a", "-q").stdout.split()
        assert "orph_default" not in engine("network", "ls").stdout
    finally:
        run("-p", "orph", "down", "-t", "0", "--remove-orphans", cwd=Path("/"))


def test_the_other_commands(standins: None, palletd: Any, engine: cp.Runner,
                            tmp_path: Path) -> None:
    """start/stop/restart, pause/unpause, kill, rm, top, images, port, run, exec, wait."""
    port = cp.free_port()
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  web:\n"
        "    image: nginx:alpine\n"
        f"    ports: ['{port}:80']\n"
        "  job:\n"
        "    image: busybox\n"
        "    command: sh -c 'echo job ran; exit 4'\n"
        "    restart: 'no'\n")
    pallet = str(shutil.which("pallet"))

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return cp.run([pallet, "compose", "-p", "others", *args], env=palletd.env,
                      cwd=tmp_path, check=check)

    def states() -> dict[str, str]:
        return {s: str(r["State"]) for s, r in _ps(run).items()}

    try:
        run("up", "-d")
        assert run("wait", "job", check=False).returncode == 4
        assert run("port", "web", "80").stdout.strip() == f"0.0.0.0:{port}"
        assert "httpd" in run("top", "web").stdout
        assert "nginx" in run("images").stdout
        assert run("exec", "-T", "-e", "X=1", "-w", "/tmp", "web", "sh", "-c",
                   "echo $X $(pwd)").stdout == "1 /tmp\n"
        out = run("run", "--rm", "-T", "-e", "Y=2", "--entrypoint", "sh", "job", "-c",
                  "echo run $Y").stdout
        assert out == "run 2\n"
        assert "others-job-run" not in engine("ps", "-a").stdout  # --rm removed it
        run("pause", "web")
        assert states()["web"] == "paused"
        run("unpause", "web")
        run("stop", "web")
        assert states()["web"] == "exited"
        run("start", "web")
        run("restart", "web")
        assert states()["web"] == "running"
        run("kill", "web")
        assert states()["web"] == "exited"
        run("rm", "-f", "web")
        assert set(_ps(run)) == {"job"}
    finally:
        run("down", "-t", "0", "--remove-orphans", check=False)


def _ps(run: Any) -> dict[str, dict[str, Any]]:
    import json

    out = run("ps", "-a", "--format", "json").stdout
    return {r["Service"]: r for r in (json.loads(line) for line in out.splitlines() if line)}


@pytest.mark.parametrize("tool", ["pallet", "v2"])
def test_logs_follow_picks_up_containers_started_later(tool: str, palletd: Any, busybox: str,
                                                       tmp_path: Path) -> None:
    """``logs -f`` prints a container scaled up after it began, with Compose v2's prefixes
    (``a-1  | ``) and exit lines, and ends once everything stopped; the same with the real
    Compose v2 on palletd, which reads the same events."""
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  a:\n"
        "    image: busybox\n"
        "    command: [sh, -c, \"echo up $$HOSTNAME; trap 'exit 0' TERM; sleep 100 & wait\"]\n")
    argv = [str(shutil.which("pallet")), "compose"] if tool == "pallet" else [cp.compose_v2()]
    argv += ["-p", f"follow{tool}"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return cp.run([*argv, *args], env=palletd.env, cwd=tmp_path)

    try:
        run("up", "-d")
        proc = subprocess.Popen([*argv, "logs", "-f", "--no-color"], cwd=tmp_path,
                                env=palletd.env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
        try:
            time.sleep(1.0)
            run("up", "-d", "--scale", "a=2")
            time.sleep(1.0)
            assert proc.poll() is None
            run("stop", "-t", "5")
            out, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 0, out
        lines = out.split("\n")
        assert any(line.startswith("a-1  | up ") for line in lines), out
        assert any(line.startswith("a-2  | up ") for line in lines), out  # started later
        assert "\x1b[Ka-2 exited with code 0" in lines, out  # after "\r" (a newline here)
    finally:
        run("down", "-t", "0")


def test_progress_quiet_silences_the_build_and_json_reports_it(palletd: Any, busybox: str,
                                                               tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo built-marker > /m\n")
    (tmp_path / "compose.yaml").write_text("services:\n  app: {build: ., image: cq-app:1}\n")
    argv = [str(shutil.which("pallet")), "compose", "-p", "cq"]

    def build(*flags: str) -> subprocess.CompletedProcess[str]:
        return cp.run([*argv, *flags, "build", "--no-cache"], env=palletd.env, cwd=tmp_path)

    try:
        plain = build("--progress", "plain")
        assert "Step 2/2" in plain.stdout + plain.stderr
        quiet = build("--progress", "quiet")
        assert quiet.stdout + quiet.stderr == ""
        as_json = build("--progress", "json")
        assert "Step" not in as_json.stdout + as_json.stderr
        events = [json.loads(line) for line in as_json.stderr.splitlines()]
        assert {"id": "Service app", "status": "Built"} in events
    finally:
        cp.run([str(shutil.which("pallet")), "rmi", "-f", "cq-app:1"], env=palletd.env,
               check=False)


def _labelled(where: Path, use: str, kind: str, key: str, label: str) -> None:
    """A one-service project whose network or volume ``key`` carries label v=``label``."""
    (where / "compose.yaml").write_text(
        f"services:\n  a: {{image: busybox, command: sleep 100, init: true, {use}}}\n"
        f"{kind}:\n  {key}: {{labels: {{v: '{label}'}}}}\n")


def test_a_changed_network_is_made_again_and_compose_v2_agrees(palletd: Any, busybox: str,
                                                               engine: cp.Runner,
                                                               tmp_path: Path) -> None:
    """Its config hash label differs from the file's: pallet compose up stops the
    containers on it, removes it, makes it again and recreates them (as Compose v2
    does); Compose v2 then finds the project up to date."""
    def write(label: str) -> None:
        _labelled(tmp_path, "networks: [n]", "networks", "n", label)

    ours = [str(shutil.which("pallet")), "compose", "-p", "netdiv"]
    theirs = [cp.compose_v2(), "-p", "netdiv"]

    def run(argv: list[str], *args: str) -> subprocess.CompletedProcess[str]:
        return cp.run([*argv, *args], env=palletd.env, cwd=tmp_path)

    def ids() -> tuple[str, str]:
        net = engine("network", "inspect", "-f", "{{.Id}}", "netdiv_n").stdout.strip()
        return net, engine("inspect", "-f", "{{.Id}}", "netdiv-a-1").stdout.strip()

    try:
        write("1")
        run(ours, "up", "-d")
        first = ids()
        run(ours, "up", "-d")
        assert ids() == first  # unchanged: nothing made again
        write("2")
        res = run(ours, "up", "-d")
        second = ids()
        assert second[0] != first[0] and second[1] != first[1], res.stderr
        assert "Network netdiv_n  Removed" in res.stderr
        assert engine("inspect", "-f", "{{.State.Running}}", "netdiv-a-1").stdout.strip() \
            == "true"
        run(theirs, "up", "-d")
        assert ids() == second  # Compose v2 sees its own hash on the network
    finally:
        run(ours, "down", "-t", "0")


def test_a_changed_volume_is_made_again_only_with_yes(palletd: Any, busybox: str,
                                                      engine: cp.Runner,
                                                      tmp_path: Path) -> None:
    def write(label: str) -> None:
        _labelled(tmp_path, "volumes: ['data:/d']", "volumes", "data", label)

    ours = [str(shutil.which("pallet")), "compose", "-p", "voldiv"]

    def run(argv: list[str], *args: str) -> subprocess.CompletedProcess[str]:
        return cp.run([*argv, *args], env=palletd.env, cwd=tmp_path)

    try:
        write("1")
        run(ours, "up", "-d")
        run(ours, "exec", "-T", "a", "touch", "/d/kept")
        write("2")
        res = run(ours, "up", "-d")  # no terminal to answer: "no", as Compose v2
        assert res.stdout.startswith('Volume "voldiv_data" exists but doesn\'t match '
                                     "configuration in compose file. Recreate (data will be "
                                     "lost)?"), res.stdout
        run(ours, "exec", "-T", "a", "test", "-e", "/d/kept")
        run(ours, "up", "-d", "-y")
        assert run(ours, "exec", "-T", "a", "ls", "/d").stdout == ""  # a new, empty volume
        res = run([cp.compose_v2(), "-p", "voldiv"], "up", "-d")
        assert "Recreate" not in res.stdout  # Compose v2 finds its own hash on it
    finally:
        run(ours, "down", "-v", "-t", "0")
