"""The CLI end to end against the fake Engine API on a temp unix socket."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

from conftest import Harness, invoke


def test_version_flag_is_fast_path(engine: Harness) -> None:
    r = engine.run("--version")
    assert r.output == "pallet version 0.1.0\n" and r.exit_code == 0


def test_run_attached_sequence_and_output(engine: Harness) -> None:
    r = engine.run("run", "--rm", "busybox", "echo", "hello")
    assert r.exit_code == 0 and r.stdout == "hello\n"
    calls = [c for c in engine.calls() if c[1] != "/_ping"]
    ident = engine.engine.requests[0]  # create
    assert ident[1] == "/containers/create"
    order = [p.rsplit("/", 1)[-1] for _, p in calls]
    assert order[:2] == ["create", "attach"]
    assert order.index("wait") < order.index("start")
    q, _ = engine.last("POST", f"/containers/{'1'.rjust(64, 'c')}/wait")
    assert q["condition"] == ["removed"]


def test_run_stderr_and_exit_code(engine: Harness) -> None:
    r = engine.run("run", "busybox", "err", "oops")
    assert r.stderr == "oops\n" and r.exit_code == 0
    r = engine.run("run", "busybox", "exit", "3")
    assert r.exit_code == 3
    q, _ = engine.last("POST", f"/containers/{'2'.rjust(64, 'c')}/wait")
    assert q["condition"] == ["next-exit"]


def test_run_detached_prints_full_id(engine: Harness) -> None:
    r = engine.run("run", "-d", "--name", "web", "busybox", "sleep", "100")
    assert r.exit_code == 0 and r.stdout.strip() == "1".rjust(64, "c")
    q, body = engine.last("POST", "/containers/create")
    assert q["name"] == ["web"] and body["AttachStdout"] is False  # type: ignore[index]
    assert all("attach" not in p for _, p in engine.calls())


def test_run_stdin_is_copied_and_half_closed(engine: Harness) -> None:
    r = engine.run("run", "-i", "busybox", "cat", input=b"piped data\n")
    assert r.exit_code == 0 and r.stdout == "piped data\n"
    assert engine.engine.containers["1".rjust(64, "c")].stdin_data == b"piped data\n"


def test_run_pulls_missing_image(engine: Harness) -> None:
    r = engine.run("run", "-d", "alpine:3.19", "sleep", "1")
    assert r.exit_code == 0
    assert "Unable to find image 'alpine:3.19' locally" in r.stderr
    q, _ = engine.last("POST", "/images/create")
    assert q["fromImage"] == ["alpine"] and q["tag"] == ["3.19"]
    assert [p for _, p in engine.calls("POST")].count("/containers/create") == 2


def test_run_pull_failure_exits_125(engine: Harness) -> None:
    r = engine.run("run", "missing/thing", "true")
    assert r.exit_code == 125
    assert "pull access denied for missing/thing" in r.stderr
    r = engine.run("run", "--pull", "never", "alpine", "true")
    assert r.exit_code == 125 and "No such image: alpine" in r.stderr
    assert r.stderr.startswith("pallet: Error response from daemon:")


def test_run_start_failures_map_to_126_127(engine: Harness) -> None:
    r = engine.run("run", "busybox", "notfound")
    assert r.exit_code == 127 and "executable file not found" in r.stderr
    r = engine.run("run", "busybox", "noexec")
    assert r.exit_code == 126 and "permission denied" in r.stderr


def test_run_usage_errors_exit_125(engine: Harness) -> None:
    r = engine.run("run", "--bogus", "busybox")
    assert r.exit_code == 125 and r.stderr.splitlines() == [
        "unknown flag: --bogus",
        "",
        "Usage:  pallet run [OPTIONS] IMAGE [COMMAND] [ARG...]",
        "",
        "Run 'pallet run --help' for more information",
    ]
    r = engine.run("run", "-p", "nonsense", "busybox")
    assert r.exit_code == 125 and "invalid" in r.stderr
    r = engine.run("ps", "--bogus")
    assert r.exit_code == 125
    assert engine.calls("POST") == []


def test_create_prints_id_and_cidfile(engine: Harness, tmp_path: Path) -> None:
    cid = tmp_path / "cid"
    r = engine.run("create", "--cidfile", str(cid), "busybox", "true")
    assert r.exit_code == 0 and cid.read_text() == r.stdout.strip()
    r = engine.run("create", "--cidfile", str(cid), "busybox", "true")
    assert r.exit_code == 125 and "container ID file found" in r.stderr


def test_ps_table_quiet_and_filters(engine: Harness) -> None:
    engine.run("run", "-d", "--name", "web", "busybox", "sleep", "9")
    r = engine.run("ps")
    lines = r.stdout.splitlines()
    assert lines[0].split() == [
        "CONTAINER",
        "ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ]
    assert lines[1].startswith('cccccccccccc   busybox   "sleep 9"') and lines[1].endswith("web")
    assert "5 seconds ago" in lines[1] and "Up 5 seconds" in lines[1]
    r = engine.run("ps", "-aq", "--filter", "status=running", "--filter", "label=a=b")
    assert r.stdout == "cccccccccccc\n"
    q, _ = engine.last("GET", "/containers/json")
    assert json.loads(q["filters"][0]) == {"status": {"running": True}, "label": {"a=b": True}}
    assert q["all"] == ["1"]
    r = engine.run("ps", "--format", "{{.Names}} {{.State}}", "--no-trunc")
    assert r.stdout == "web running\n"
    r = engine.run("ps", "--format", "{{json .}}")
    assert json.loads(r.stdout)["Names"] == "web"


def test_lifecycle_commands_print_refs(engine: Harness) -> None:
    engine.run("run", "-d", "--name", "web", "busybox", "sleep", "9")
    for cmd in (
        ["stop", "-t", "3", "web"],
        ["start", "web"],
        ["restart", "web"],
        ["kill", "-s", "HUP", "web"],
        ["pause", "web"],
        ["unpause", "web"],
    ):
        r = engine.run(*cmd)
        assert r.exit_code == 0 and r.stdout == "web\n", cmd
    q, _ = engine.last("POST", "/containers/web/stop")
    assert q["t"] == ["3"]
    q, _ = engine.last("POST", "/containers/web/kill")
    assert q["signal"] == ["HUP"]


def test_errors_are_docker_style(engine: Harness) -> None:
    r = engine.run("stop", "nope", "alsonope")
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        "Error response from daemon: No such container: nope",
        "Error response from daemon: No such container: alsonope",
    ]
    r = engine.run("kill", "-s", "NOTASIG", "x")
    assert r.exit_code == 125


def test_rm_force_and_conflict(engine: Harness) -> None:
    engine.run("run", "-d", "--name", "web", "busybox", "sleep", "9")
    r = engine.run("rm", "web")
    assert r.exit_code == 1 and "container is running" in r.stderr
    r = engine.run("rm", "-f", "-v", "web")
    assert r.exit_code == 0 and r.stdout == "web\n"
    q, _ = engine.last("DELETE", "/containers/web")
    assert q == {"force": ["1"], "v": ["1"]}


def test_inspect_json_and_template(engine: Harness) -> None:
    engine.run("run", "-d", "--name", "web", "busybox", "sleep", "9")
    r = engine.run("inspect", "web")
    doc = json.loads(r.stdout)
    assert isinstance(doc, list) and doc[0]["Name"] == "/web"
    assert r.stdout.startswith("[\n    {")
    r = engine.run("inspect", "-f", "{{.State.Status}} {{.NetworkSettings.IPAddress}}", "web")
    assert r.stdout == "running 10.88.0.5\n"
    r = engine.run("inspect", "--format", "{{json .Config.Cmd}}", "web")
    assert r.stdout == '["sleep","9"]\n'
    r = engine.run("inspect", "busybox", "--format", "{{.Size}}")
    assert r.stdout == "4260000\n"
    r = engine.run("inspect", "ghost")
    assert r.exit_code == 1 and r.stdout == "[]\n" and r.stderr == "Error: No such object: ghost\n"
    r = engine.run("container", "inspect", "ghost")
    assert r.stderr == "Error: No such container: ghost\n"


def test_logs_demuxes(engine: Harness) -> None:
    engine.run("run", "busybox", "echo", "logged")
    r = engine.run("logs", "--tail", "5", "--since", "10m", "cccccc")
    assert r.stdout == "logged\n"
    q, _ = engine.last("GET", "/containers/" + "1".rjust(64, "c") + "/logs")
    assert q["tail"] == ["5"] and q["stdout"] == ["1"] and "." in q["since"][0]


def test_exec_exit_code_and_stdin(engine: Harness) -> None:
    engine.run("run", "-d", "--name", "web", "busybox", "sleep", "9")
    r = engine.run("exec", "-e", "A=1", "-w", "/tmp", "web", "echo", "from", "exec")
    assert r.stdout == "from exec\n" and r.exit_code == 0
    _, body = engine.last("POST", "/containers/web/exec")
    assert body["Cmd"] == ["echo", "from", "exec"] and body["Env"] == ["A=1"]  # type: ignore[index]
    assert body["WorkingDir"] == "/tmp"  # type: ignore[index]
    assert engine.run("exec", "web", "exit", "4").exit_code == 4
    r = engine.run("exec", "-i", "web", "cat", input=b"abc")
    assert r.stdout == "abc"


def test_wait_top_rename(engine: Harness) -> None:
    engine.run("run", "-d", "--name", "web", "busybox", "exit", "7")
    assert engine.run("wait", "web").stdout == "7\n"
    r = engine.run("top", "web")
    # docker top's tabwriter has a minimum cell width of 20 (ps has 10)
    assert r.stdout.splitlines() == ["PID" + " " * 17 + "CMD", "1" + " " * 19 + "sleep"]
    assert engine.run("rename", "web", "api").exit_code == 0
    q, _ = engine.last("POST", "/containers/web/rename")
    assert q["name"] == ["api"]


def test_container_group_aliases_and_prune(engine: Harness) -> None:
    engine.run("run", "--name", "done", "busybox", "echo", "x")
    r = engine.run("container", "ls", "-a", "--format", "{{.Names}}")
    assert r.stdout == "done\n"
    r = engine.run("container", "prune", "-f")
    assert r.stdout.startswith("Deleted Containers:\n" + "1".rjust(64, "c"))
    assert r.stdout.endswith("Total reclaimed space: 0B\n")


def test_images_and_image_commands(engine: Harness) -> None:
    r = engine.run("images")
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    assert lines[1].split()[:3] == ["busybox", "latest", "1aaaaaaaaaaa"]
    assert lines[1].endswith("3 hours ago   4.26MB")
    assert engine.run("images", "-q").stdout == "1aaaaaaaaaaa\n"
    assert engine.run("tag", "busybox:latest", "mine/box:v1").exit_code == 0
    q, _ = engine.last("POST", "/images/busybox:latest/tag")
    assert q == {"repo": ["mine/box"], "tag": ["v1"]}
    r = engine.run("rmi", "mine/box:v1")
    assert r.stdout.startswith("Untagged: mine/box:v1\nDeleted: sha256:")
    r = engine.run("image", "prune", "-f", "-a")
    assert "deleted: sha256:dd" in r.stdout and "Total reclaimed space: 2.05kB" in r.stdout
    q, _ = engine.last("POST", "/images/prune")
    assert json.loads(q["filters"][0]) == {"dangling": {"false": True}}
    r = engine.run("image", "bootstrap", "busybox")
    assert r.exit_code == 0 and "Bootstrapping" in r.stdout
    assert engine.last("POST", "/pallet/images/bootstrap")[0] == {"name": ["busybox"]}


def test_save_load_import(engine: Harness, tmp_path: Path) -> None:
    out = tmp_path / "img.tar"
    assert engine.run("save", "-o", str(out), "busybox").exit_code == 0
    assert out.read_bytes() == b"TARDATA:busybox"
    r = engine.run("load", "-i", str(out))
    assert r.stdout == f"Loaded image: loaded:{len(b'TARDATA:busybox')}\n"
    r = engine.run("load", input=b"12345")
    assert r.stdout == "Loaded image: loaded:5\n"
    r = engine.run("import", str(out), "imp:v2", "-c", 'CMD ["sh"]', "-m", "msg")
    assert r.exit_code == 0 and r.stdout == "sha256:" + "f" * 64 + "\n"
    q, body = engine.last("POST", "/images/create")
    assert q["fromSrc"] == ["-"] and q["repo"] == ["imp"] and q["tag"] == ["v2"]
    assert q["changes"] == ['CMD ["sh"]'] and body == b"TARDATA:busybox"


def test_cp_from_container_extracts_safely(engine: Harness, tmp_path: Path) -> None:
    engine.run("run", "-d", "--name", "web", "busybox", "sleep", "9")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = b"127.0.0.1 localhost\n"
        info = tarfile.TarInfo("hosts")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    engine.engine.files["/etc/hosts"] = buf.getvalue()
    r = engine.run("cp", "web:/etc/hosts", str(tmp_path))
    assert r.exit_code == 0 and (tmp_path / "hosts").read_bytes() == data
    r = engine.run("cp", "web:/etc/hosts", str(tmp_path / "renamed"))
    assert (tmp_path / "renamed").read_bytes() == data

    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w") as tar:
        link = tarfile.TarInfo("hosts")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc"
        tar.addfile(link)
        f = tarfile.TarInfo("hosts/pwned")
        f.size = 1
        tar.addfile(f, io.BytesIO(b"x"))
    engine.engine.files["/evil"] = evil.getvalue()
    target = tmp_path / "dest"
    target.mkdir()
    r = engine.run("cp", "web:/evil", str(target))
    assert r.exit_code == 1 and "escapes" in r.stderr
    assert not os.path.exists("/etc/pwned")


def test_cp_to_container(engine: Harness, tmp_path: Path) -> None:
    engine.run("run", "-d", "--name", "web", "busybox", "sleep", "9")
    src = tmp_path / "file.txt"
    src.write_text("content")
    r = engine.run("cp", str(src), "web:/tmp/new.txt")
    assert r.exit_code == 0
    path, body = engine.engine.put_archives[-1]
    assert path == "/tmp"
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        assert tar.getnames() == ["new.txt"]
        member = tar.extractfile("new.txt")
        assert member is not None and member.read() == b"content"


def test_version_info_events(engine: Harness) -> None:
    r = engine.run("version")
    assert (
        "Server: pallet" in r.stdout and "API version:      1.44 (minimum version 1.24)" in r.stdout
    )
    assert engine.run("version", "-f", "{{.Server.ApiVersion}}").stdout == "1.44\n"
    assert engine.run("info", "--format", "{{.Driver}}").stdout == "overlay\n"
    r = engine.run("events", "--since", "1h", "--format", "{{.Action}} {{.Actor.Attributes.name}}")
    assert r.stdout == "start web\n"
    r = engine.run("events")
    assert " container start abc (name=web)" in r.stdout


def test_history(engine: Harness) -> None:
    r = engine.run("history", "ghost")
    assert r.exit_code == 1 and r.stderr.startswith("Error response from daemon:")


def test_daemon_unreachable_non_default_host_no_autostart(tmp_path: Path) -> None:
    sock = tmp_path / "none.sock"
    r = invoke(["ps"], env={"PALLET_HOST": f"unix://{sock}"})
    assert r.exit_code == 1
    assert r.stderr.startswith(f"Cannot connect to the pallet daemon at unix://{sock}")
    assert "starting it" not in r.stderr
