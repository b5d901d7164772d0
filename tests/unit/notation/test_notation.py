"""Table tests for Docker's notations."""

from __future__ import annotations

import signal

import pytest

from pallet.errors import InvalidArgument
from pallet.notation.durations import format_duration, parse_duration
from pallet.notation.filters import (
    dangling_wanted,
    filters_from_json,
    labels_match,
    parse_filters,
)
from pallet.notation.human import ago, container_status, human_duration
from pallet.notation.keyvalue import parse_env, parse_env_file_text, parse_labels, parse_map
from pallet.notation.mounts import parse_mount, parse_tmpfs, parse_volume, parse_volumes
from pallet.notation.ports import format_ports, merge_publish, parse_expose, parse_publish
from pallet.notation.resources import parse_cpus, parse_restart, parse_ulimit
from pallet.notation.signals import parse_signal, signal_name
from pallet.notation.sizes import binary_size, human_size, parse_memory, parse_size
from pallet.notation.times import parse_iso, parse_timestamp


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("64m", 64 << 20),
        ("1g", 1 << 30),
        ("1024", 1024),
        ("10k", 10240),
        ("1.5g", 3 << 29),
        ("512MB", 512 << 20),
        ("2GiB", 2 << 30),
        ("100b", 100),
        ("1 m", 1 << 20),
    ],
)
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "10x", "-5m", "1.2.3q"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_size(text)


def test_parse_memory_unlimited() -> None:
    assert parse_memory("-1") == -1
    assert parse_memory("512m") == 512 << 20


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, "0B"),
        (999, "999B"),
        (1000, "1kB"),
        (4_260_000, "4.26MB"),
        (1_234_567_890, "1.23GB"),
        (12_345, "12.3kB"),
        (5_000_000_000_000, "5TB"),
    ],
)
def test_human_size(size: int, expected: str) -> None:
    assert human_size(size) == expected


def test_binary_size() -> None:
    assert binary_size(1536 * 1024) == "1.5MiB"
    assert binary_size(100) == "100B"


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("30s", 30_000_000_000),
        ("1m30s", 90_000_000_000),
        ("1.5h", 5_400_000_000_000),
        ("250ms", 250_000_000),
        ("10us", 10_000),
        ("0", 0),
        ("2h45m", 9_900_000_000_000),
        ("-1s", -1_000_000_000),
        ("1µs", 1000),
        ("3ns", 3),
    ],
)
def test_parse_duration(text: str, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize("text", ["", "30", "1x", "s", "1m30"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_duration(text)


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (90_000_000_000, "1m30s"),
        (7_200_000_000_000, "2h0m0s"),
        (0, "0s"),
        (1_500_000_000, "1.5s"),
        (250_000_000, "250ms"),
    ],
)
def test_format_duration(ns: int, text: str) -> None:
    assert format_duration(ns) == text


@pytest.mark.parametrize(
    ("spec", "exposed", "bindings"),
    [
        ("80", {"80/tcp": {}}, {"80/tcp": [{"HostIp": "", "HostPort": ""}]}),
        ("8080:80", {"80/tcp": {}}, {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}),
        (
            "127.0.0.1:8080:80/udp",
            {"80/udp": {}},
            {"80/udp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]},
        ),
        ("127.0.0.1::80", {"80/tcp": {}}, {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}),
        (
            "8000-8001:80-81",
            {"80/tcp": {}, "81/tcp": {}},
            {
                "80/tcp": [{"HostIp": "", "HostPort": "8000"}],
                "81/tcp": [{"HostIp": "", "HostPort": "8001"}],
            },
        ),
        ("8000-8010:80", {"80/tcp": {}}, {"80/tcp": [{"HostIp": "", "HostPort": "8000-8010"}]}),
        ("[::1]:8080:80", {"80/tcp": {}}, {"80/tcp": [{"HostIp": "::1", "HostPort": "8080"}]}),
        ("53:53/SCTP", {"53/sctp": {}}, {"53/sctp": [{"HostIp": "", "HostPort": "53"}]}),
    ],
)
def test_parse_publish(spec: str, exposed: dict, bindings: dict) -> None:  # type: ignore[type-arg]
    assert parse_publish(spec) == (exposed, bindings)


@pytest.mark.parametrize(
    "spec", ["", "abc", "8080:0", "70000:80", "80/xyz", "8000-8002:80-81", "90-80"]
)
def test_parse_publish_rejects(spec: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_publish(spec)


def test_merge_publish_same_port_twice() -> None:
    _, bindings = merge_publish(["8080:80", "127.0.0.1:9090:80"])
    assert bindings == {
        "80/tcp": [{"HostIp": "", "HostPort": "8080"}, {"HostIp": "127.0.0.1", "HostPort": "9090"}]
    }


def test_parse_expose() -> None:
    assert parse_expose("80-82/udp") == {"80/udp": {}, "81/udp": {}, "82/udp": {}}
    assert parse_expose("443") == {"443/tcp": {}}


def test_format_ports_groups_ranges() -> None:
    ports = [
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"IP": "0.0.0.0", "PrivatePort": 81, "PublicPort": 8081, "Type": "tcp"},
        {"PrivatePort": 443, "Type": "tcp"},
        {"IP": "::", "PrivatePort": 53, "PublicPort": 53, "Type": "udp"},
    ]
    assert format_ports(ports) == "0.0.0.0:8080-8081->80-81/tcp, 443/tcp, [::]:53->53/udp"
    assert format_ports([]) == ""


@pytest.mark.parametrize(
    ("spec", "bind", "anon"),
    [
        ("data:/data", "data:/data", ""),
        ("/srv:/cfg:ro", "/srv:/cfg:ro", ""),
        ("/anon", None, "/anon"),
        ("./rel:/x", "/home/u/rel:/x", ""),
        ("..:/up:rw,z", "/home:/up:rw,z", ""),
    ],
)
def test_parse_volume(spec: str, bind: str | None, anon: str) -> None:
    assert parse_volume(spec, cwd="/home/u") == (bind, anon)


@pytest.mark.parametrize("spec", ["", "rel", "a:b", "a:/b:bogus", "a:/b:c:d", ":/x"])
def test_parse_volume_rejects(spec: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_volume(spec)


def test_parse_volumes_splits() -> None:
    v = parse_volumes(["data:/data", "/cache"])
    assert v.binds == ["data:/data"] and v.anonymous == {"/cache": {}}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("type=tmpfs,destination=/run", {"Type": "tmpfs", "Target": "/run"}),
        (
            "type=bind,source=/a,target=/b,readonly",
            {"Type": "bind", "Source": "/a", "Target": "/b", "ReadOnly": True},
        ),
        (
            "source=data,target=/d,volume-nocopy,volume-label=a=b",
            {
                "Type": "volume",
                "Source": "data",
                "Target": "/d",
                "VolumeOptions": {"NoCopy": True, "Labels": {"a": "b"}},
            },
        ),
        (
            "type=bind,src=/a,dst=/b,bind-propagation=rshared,ro=false",
            {
                "Type": "bind",
                "Source": "/a",
                "Target": "/b",
                "ReadOnly": False,
                "BindOptions": {"Propagation": "rshared"},
            },
        ),
        (
            "type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770",
            {
                "Type": "tmpfs",
                "Target": "/t",
                "TmpfsOptions": {"SizeBytes": 64 << 20, "Mode": 0o1770},
            },
        ),
        (
            '"type=volume","target=/x","volume-opt=o=a,b"',
            {
                "Type": "volume",
                "Target": "/x",
                "VolumeOptions": {"DriverConfig": {"Options": {"o": "a,b"}}},
            },
        ),
    ],
)
def test_parse_mount(spec: str, expected: dict) -> None:  # type: ignore[type-arg]
    assert parse_mount(spec) == expected


@pytest.mark.parametrize(
    "spec",
    [
        "type=bind,target=/b",
        "source=/a",
        "type=nope,target=/x",
        "type=tmpfs,src=x,dst=/t",
        "type=volume,target=/x,bind-propagation=shared",
        "type=bind,src=/a,dst=/b,bogus=1",
        "type=bind,src=/a,dst=/b,readonly=maybe",
    ],
)
def test_parse_mount_rejects(spec: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_mount(spec)


def test_parse_tmpfs() -> None:
    assert parse_tmpfs(["/tmp:rw,size=64m", "/run"]) == {"/tmp": "rw,size=64m", "/run": ""}
    with pytest.raises(InvalidArgument):
        parse_tmpfs(["tmp"])


def test_parse_env() -> None:
    env = {"HOME": "/root"}
    assert parse_env("A=1", env) == "A=1"
    assert parse_env("A=", env) == "A="
    assert parse_env("HOME", env) == "HOME=/root"
    assert parse_env("UNSET", env) == "UNSET"
    with pytest.raises(InvalidArgument):
        parse_env("=x", env)


def test_env_file() -> None:
    text = '\ufeff# comment\n\nA=1\n  B="quoted value"\nHOME\nMISSING\nC=a=b\n'
    assert parse_env_file_text(text, {"HOME": "/root"}) == [
        "A=1",
        'B="quoted value"',
        "HOME=/root",
        "C=a=b",
    ]
    with pytest.raises(InvalidArgument):
        parse_env_file_text("BAD KEY=1\n", {})
    with pytest.raises(InvalidArgument):
        parse_env_file_text("=1\n", {})


def test_labels_and_maps() -> None:
    assert parse_labels(["a=1", "b", "c=x=y", "a=2"]) == {"a": "2", "b": "", "c": "x=y"}
    assert parse_map(["net.core.somaxconn=1024"], "sysctl") == {"net.core.somaxconn": "1024"}
    with pytest.raises(InvalidArgument):
        parse_map(["novalue"], "sysctl")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nofile=1024:2048", {"Name": "nofile", "Soft": 1024, "Hard": 2048}),
        ("nproc=512", {"Name": "nproc", "Soft": 512, "Hard": 512}),
        ("memlock=-1:-1", {"Name": "memlock", "Soft": -1, "Hard": -1}),
    ],
)
def test_parse_ulimit(text: str, expected: dict) -> None:  # type: ignore[type-arg]
    assert parse_ulimit(text) == expected


@pytest.mark.parametrize("text", ["nofile", "nofile=a", "nofile=10:5", "=1"])
def test_parse_ulimit_rejects(text: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_ulimit(text)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("SIGTERM", 15),
        ("TERM", 15),
        ("15", 15),
        ("kill", 9),
        ("SIGHUP", 1),
        ("USR1", 10),
        ("RTMIN+3", int(signal.SIGRTMIN) + 3),
    ],
)
def test_parse_signal(text: str, number: int) -> None:
    assert parse_signal(text) == number


@pytest.mark.parametrize("text", ["", "SIGFOO", "0", "999", "RTMIN+99"])
def test_parse_signal_rejects(text: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_signal(text)


def test_signal_name() -> None:
    assert signal_name(15) == "SIGTERM"


def test_filters() -> None:
    f = parse_filters(["status=running", "label=a=b", "status=exited", "status=running"])
    assert f == {"status": ["running", "exited"], "label": ["a=b"]}
    assert filters_from_json('{"status":{"running":true,"x":false}}') == {"status": ["running"]}
    assert filters_from_json('{"label":["a"]}') == {"label": ["a"]}
    with pytest.raises(InvalidArgument):
        parse_filters(["novalue"])


def test_label_and_dangling_filter_values() -> None:
    labels = {"a": "1", "b": ""}
    assert labels_match(labels, ["a", "a=1", "b="])
    assert not labels_match(labels, ["a=2"])
    assert not labels_match(labels, ["c"])
    assert dangling_wanted(["false", "TRUE"]) is True  # the last value counts
    assert dangling_wanted(["0"]) is False
    with pytest.raises(InvalidArgument, match="dangling=maybe"):
        dangling_wanted(["maybe"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no", {"Name": "no", "MaximumRetryCount": 0}),
        ("always", {"Name": "always", "MaximumRetryCount": 0}),
        ("unless-stopped", {"Name": "unless-stopped", "MaximumRetryCount": 0}),
        ("on-failure", {"Name": "on-failure", "MaximumRetryCount": 0}),
        ("on-failure:3", {"Name": "on-failure", "MaximumRetryCount": 3}),
    ],
)
def test_parse_restart(text: str, expected: dict) -> None:  # type: ignore[type-arg]
    assert parse_restart(text) == expected


@pytest.mark.parametrize("text", ["sometimes", "always:3", "on-failure:x", "on-failure:-1"])
def test_parse_restart_rejects(text: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_restart(text)


@pytest.mark.parametrize(
    ("text", "nano"),
    [("1.5", 1_500_000_000), ("0.5", 500_000_000), ("2", 2_000_000_000), ("0.000000001", 1)],
)
def test_parse_cpus(text: str, nano: int) -> None:
    assert parse_cpus(text) == nano


@pytest.mark.parametrize("text", ["abc", "0.0000000001", "-1", "inf"])
def test_parse_cpus_rejects(text: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_cpus(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.5, "Less than a second"),
        (1, "1 second"),
        (5, "5 seconds"),
        (59, "59 seconds"),
        (60, "About a minute"),
        (150, "2 minutes"),
        (3600, "About an hour"),
        (7200, "2 hours"),
        (47 * 3600, "47 hours"),
        (3 * 86400, "3 days"),
        (20 * 86400, "2 weeks"),
        (90 * 86400, "3 months"),
        (800 * 86400, "2 years"),
    ],
)
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_container_status_fixed_clock() -> None:
    now = 1_700_000_000.0
    assert ago(now - 5, now) == "5 seconds ago"
    assert container_status("running", now=now, started=now - 3) == "Up 3 seconds"
    assert container_status("paused", now=now, started=now - 1) == "Up 1 second (Paused)"
    assert container_status("running", now=now, started=now - 60, health="healthy") == (
        "Up About a minute (healthy)"
    )
    assert container_status("exited", now=now, finished=now - 120, exit_code=0) == (
        "Exited (0) 2 minutes ago"
    )
    assert container_status("created", now=now) == "Created"
    assert container_status("restarting", now=now, finished=now - 2, exit_code=1) == (
        "Restarting (1) 2 seconds ago"
    )


def test_timestamps() -> None:
    now = 1_700_000_000.0
    assert parse_timestamp("10m", now) == "1699999400.000000000"
    assert parse_timestamp("1700000000", now) == "1700000000"
    assert parse_timestamp("1700000000.5", now) == "1700000000.5"
    assert parse_timestamp("2023-11-14T22:13:20Z", now) == "1700000000.000000000"
    assert parse_timestamp("2023-11-14T22:13:20.25+00:00", now) == "1700000000.250000000"
    assert parse_timestamp("2023-11-14T23:13:20+01:00", now) == "1700000000.000000000"
    with pytest.raises(InvalidArgument):
        parse_timestamp("yesterday", now)
    assert parse_iso("2023-11-14T22:13:20.5Z") == 1_700_000_000.5
    assert parse_iso("0001-01-01T00:00:00Z") == 0.0
