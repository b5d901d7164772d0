"""The create body for `run` command lines, compared with what the docker CLI sends."""

from __future__ import annotations

from typing import Any

import pytest

from pallet.cli.commands.run import run
from pallet.cli.commands.runoptions import flags_from
from pallet.cli.flagerrors import UsageError
from pallet.cli.runconfig import build_create_body
from pallet.cli.runflags import RunFlags
from pallet.errors import InvalidArgument


def body_for(argv: list[str], **kw: Any) -> dict[str, Any]:
    """Parse argv with the real command and build the body (no daemon)."""
    captured: dict[str, Any] = {}
    params = run.parse(list(argv))
    image, command = params.pop("image"), params.pop("command")
    captured["body"] = build_create_body(
        flags_from(params), image, list(command), environ={"HOME": "/root"}, cwd="/w", **kw
    )
    return captured["body"]  # type: ignore[no-any-return]


def test_plain_run_matches_docker_defaults() -> None:
    b = body_for(["busybox", "echo", "hi"])
    assert b["Image"] == "busybox" and b["Cmd"] == ["echo", "hi"]
    assert (b["AttachStdin"], b["AttachStdout"], b["AttachStderr"]) == (False, True, True)
    assert (b["Tty"], b["OpenStdin"], b["StdinOnce"]) == (False, False, False)
    assert b["Env"] == [] and b["Labels"] == {} and b["Volumes"] == {}
    assert b["Entrypoint"] is None and "ExposedPorts" not in b and "Healthcheck" not in b
    h = b["HostConfig"]
    assert h["NetworkMode"] == "default"
    assert h["RestartPolicy"] == {"Name": "no", "MaximumRetryCount": 0}
    assert h["LogConfig"] == {"Type": "", "Config": {}}
    assert h["MemorySwappiness"] == -1 and h["PidsLimit"] is None and h["Binds"] is None
    assert h["ConsoleSize"] == [0, 0] and h["AutoRemove"] is False
    assert b["NetworkingConfig"] == {"EndpointsConfig": {}}


def test_engine_api_reference_command_line() -> None:
    """The command line of engine-api.md §3.4 and the fields docker sent for it."""
    b = body_for(
        [
            "--read-only",
            "--tmpfs",
            "/tmp:rw,size=64m",
            "--memory",
            "256m",
            "--memory-swap",
            "512m",
            "--cpus",
            "1.5",
            "--user",
            "1000:1000",
            "--cap-drop=ALL",
            "--security-opt=no-new-privileges",
            "--restart",
            "unless-stopped",
            "--health-cmd",
            "curl -f localhost",
            "--health-interval",
            "30s",
            "-v",
            "data:/data",
            "-v",
            "/srv/cfg:/cfg:ro",
            "--mount",
            "type=tmpfs,destination=/run",
            "--network",
            "backend",
            "--log-opt",
            "max-size=10m",
            "--log-opt",
            "max-file=3",
            "-e",
            "A=1",
            "-p",
            "127.0.0.1:8080:80",
            "-d",
            "nginx:1.25",
        ]
    )
    assert b["User"] == "1000:1000" and b["Env"] == ["A=1"]
    assert b["ExposedPorts"] == {"80/tcp": {}}
    assert b["Healthcheck"] == {
        "Test": ["CMD-SHELL", "curl -f localhost"],
        "Interval": 30_000_000_000,
    }
    assert (b["AttachStdout"], b["AttachStderr"]) == (False, False)
    h = b["HostConfig"]
    assert h["Binds"] == ["data:/data", "/srv/cfg:/cfg:ro"]
    assert h["LogConfig"] == {"Type": "", "Config": {"max-size": "10m", "max-file": "3"}}
    assert h["NetworkMode"] == "backend"
    assert h["PortBindings"] == {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]}
    assert h["RestartPolicy"] == {"Name": "unless-stopped", "MaximumRetryCount": 0}
    assert h["CapDrop"] == ["ALL"] and h["ReadonlyRootfs"] is True
    assert h["SecurityOpt"] == ["no-new-privileges"]
    assert h["Tmpfs"] == {"/tmp": "rw,size=64m"}
    assert (h["Memory"], h["MemorySwap"], h["NanoCpus"]) == (268435456, 536870912, 1500000000)
    assert h["Mounts"] == [{"Type": "tmpfs", "Target": "/run"}]
    assert b["NetworkingConfig"] == {"EndpointsConfig": {}}


def test_interactive_tty() -> None:
    b = body_for(["-it", "--rm", "busybox", "sh"], console=(24, 80))
    assert (b["AttachStdin"], b["Tty"], b["OpenStdin"], b["StdinOnce"]) == (True, True, True, True)
    assert b["HostConfig"]["ConsoleSize"] == [24, 80] and b["HostConfig"]["AutoRemove"] is True


def test_misc_flags() -> None:
    b = body_for(
        [
            "--name",
            "w",
            "-w",
            "/app",
            "-h",
            "box.example.com",
            "-l",
            "a=1",
            "-l",
            "b",
            "--entrypoint",
            "",
            "--init",
            "--runtime",
            "runc",
            "--pids-limit",
            "100",
            "--stop-signal",
            "SIGINT",
            "--stop-timeout",
            "5",
            "--shm-size",
            "1g",
            "--sysctl",
            "net.ipv4.ip_forward=1",
            "--ulimit",
            "nofile=1024:2048",
            "--add-host",
            "db:10.0.0.9",
            "--dns",
            "1.1.1.1",
            "--network",
            "app",
            "--network-alias",
            "web",
            "--ip",
            "10.5.0.9",
            "--no-healthcheck",
            "--restart",
            "on-failure:3",
            "-P",
            "--expose",
            "9000",
            "--cap-add",
            "NET_ADMIN",
            "--privileged",
            "-v",
            "/anon",
            "-e",
            "HOME",
            "-a",
            "stdout",
            "busybox",
        ]
    )
    assert b["Hostname"] == "box" and b["Domainname"] == "example.com"
    assert b["WorkingDir"] == "/app" and b["Labels"] == {"a": "1", "b": ""}
    assert b["Entrypoint"] == [""] and b["Cmd"] is None
    assert b["StopSignal"] == "SIGINT" and b["StopTimeout"] == 5
    assert b["Healthcheck"] == {"Test": ["NONE"]}
    assert b["ExposedPorts"] == {"9000/tcp": {}} and b["Volumes"] == {"/anon": {}}
    assert b["Env"] == ["HOME=/root"]
    assert (b["AttachStdout"], b["AttachStderr"]) == (True, False)
    h = b["HostConfig"]
    assert h["Init"] is True and h["Runtime"] == "runc" and h["PidsLimit"] == 100
    assert h["ShmSize"] == 1 << 30 and h["Sysctls"] == {"net.ipv4.ip_forward": "1"}
    assert h["Ulimits"] == [{"Name": "nofile", "Hard": 2048, "Soft": 1024}]
    assert h["ExtraHosts"] == ["db:10.0.0.9"] and h["Dns"] == ["1.1.1.1"]
    assert h["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert h["PublishAllPorts"] is True and h["Privileged"] is True and h["CapAdd"] == ["NET_ADMIN"]
    assert b["NetworkingConfig"] == {
        "EndpointsConfig": {"app": {"Aliases": ["web"], "IPAMConfig": {"IPv4Address": "10.5.0.9"}}}
    }


def test_env_file_before_env(tmp_path: Any) -> None:
    f = tmp_path / "env"
    f.write_text("A=from-file\nB=2\n")
    b = body_for(["--env-file", str(f), "-e", "A=flag", "busybox"])
    assert b["Env"] == ["A=from-file", "B=2", "A=flag"]


def test_seccomp_profile_file_is_sent_inline(tmp_path: Any) -> None:
    f = tmp_path / "profile.json"
    f.write_text('{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": []\n}\n')
    b = body_for(["--security-opt", f"seccomp={f}", "--security-opt", "label:disable",
                  "busybox"])
    assert b["HostConfig"]["SecurityOpt"] == [
        'seccomp={"defaultAction":"SCMP_ACT_ERRNO","syscalls":[]}', "label=disable"]
    f.write_text("{not json")
    with pytest.raises(InvalidArgument, match=r"opening seccomp profile \(.*\) failed"):
        body_for(["--security-opt", f"seccomp={f}", "busybox"])


@pytest.mark.parametrize(
    "argv",
    [
        ["--rm", "--restart", "always", "busybox"],
        ["-d", "-a", "stdout", "busybox"],
        ["--no-healthcheck", "--health-cmd", "x", "busybox"],
        ["-p", "bad", "busybox"],
        ["--ip", "1.2.3.4", "busybox"],
        ["--stop-signal", "NOPE", "busybox"],
    ],
)
def test_invalid_combinations(argv: list[str]) -> None:
    with pytest.raises(InvalidArgument):
        body_for(argv)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-m", "lots", "busybox"], 'invalid argument "lots" for "-m, --memory" flag: '
                                    "invalid size: 'lots'"),
        (["--memory-swap=1q", "busybox"], 'for "--memory-swap" flag: invalid size'),
        (["--shm-size", "x", "busybox"], 'invalid argument "x" for "--shm-size" flag'),
        (["--cpus", "x", "busybox"], 'invalid argument "x" for "--cpus" flag: '
                                     "failed to parse x as a rational number"),
        (["--health-interval", "-1s", "busybox"],
         'invalid argument "-1s" for "--health-interval" flag: duration cannot be negative'),
        (["--health-timeout=5", "busybox"],
         'invalid argument "5" for "--health-timeout" flag: time: missing unit in duration "5"'),
        (["-a", "stdio", "busybox"], 'invalid argument "stdio" for "-a, --attach" flag: '
                                     "valid streams are STDIN, STDOUT and STDERR"),
    ],
)
def test_typed_flags_fail_while_parsing_like_docker(argv: list[str], message: str) -> None:
    """docker's typed flags (bytes, decimal, duration, attach) reject a bad value
    while the command line is parsed: a flag error (125) naming the flag."""
    with pytest.raises(UsageError) as info:
        run.parse(list(argv))
    assert message in info.value.message and info.value.code == 125


def test_typed_flags_keep_their_text() -> None:
    b = body_for(["-m", "64m", "--memory-swap", "-1", "--cpus=1.5", "--shm-size", "1g",
                  "--health-cmd", "true", "--health-interval", "2s", "-a", "STDOUT", "busybox"])
    host = b["HostConfig"]
    assert (host["Memory"], host["MemorySwap"], host["NanoCpus"], host["ShmSize"]) == (
        64 << 20, -1, 1_500_000_000, 1 << 30)
    assert b["Healthcheck"]["Interval"] == 2_000_000_000
    assert (b["AttachStdout"], b["AttachStderr"]) == (True, False)


def test_runflags_defaults_build() -> None:
    assert build_create_body(RunFlags(), "img", [])["Cmd"] is None
