from pathlib import Path

import msgspec
import pytest

from pallet.api.models import ContainerConfig, HostConfig, RestartPolicy
from pallet.api.view_containers import ContainerSummary, EndpointSettings, MountPoint, Port
from pallet.api.view_hostconfig import RestartPolicyView
from pallet.engine.lifecycle import State
from pallet.engine.records import Container
from pallet.engine.views import (
    check_filters,
    inspect,
    matches,
    parse_time,
    status_text,
    summary,
    view_matches,
)
from pallet.errors import InvalidArgument
from pallet.notation.human import human_duration


def make(**kw: object) -> Container:
    base: dict[str, object] = dict(
        id="a" * 64, name="web", image_id="sha256:" + "b" * 64, created="2026-01-01T00:00:00Z",
        config=ContainerConfig(Image="busybox", Labels={"app": "x"}), host_config=HostConfig(),
        path="sh", args=["-c", "echo hi"],
    )
    base.update(kw)
    return Container(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(("secs", "text"), [
    (0.5, "Less than a second"), (1, "1 second"), (5, "5 seconds"), (61, "About a minute"),
    (300, "5 minutes"), (3600, "About an hour"), (7200, "2 hours"), (3 * 86400, "3 days"),
    (15 * 86400, "2 weeks"), (70 * 86400, "2 months"), (800 * 86400, "2 years"),
])
def test_human_duration(secs: float, text: str) -> None:
    assert human_duration(secs) == text


def test_status_texts() -> None:
    start = parse_time("2026-01-01T00:00:00Z")
    running = make(status=State.RUNNING, started_at="2026-01-01T00:00:00Z")
    assert status_text(running, start + 3) == "Up 3 seconds"
    paused = make(status=State.PAUSED, started_at="2026-01-01T00:00:00Z")
    assert status_text(paused, start + 3) == "Up 3 seconds (Paused)"
    exited = make(status=State.EXITED, exit_code=137, finished_at="2026-01-01T00:00:00.5Z")
    assert status_text(exited, start + 120.5) == "Exited (137) 2 minutes ago"
    assert status_text(make(), start) == "Created"


def test_summary_and_inspect_shapes(tmp_path: Path) -> None:
    c = make(status=State.RUNNING, pid=42)
    s = summary(c, "busybox", now=0)
    assert s.Names == ["/web"] and s.Command == "sh -c 'echo hi'"
    assert s.State == "running" and s.Labels == {"app": "x"}
    i = inspect(c, tmp_path, {}, [])
    assert i.Name == "/web" and i.State.Running and i.State.Pid == 42
    assert i.HostConfig.NetworkMode == "bridge"
    assert i.HostConfig.RestartPolicy == RestartPolicyView(Name="no", MaximumRetryCount=0)
    assert i.Config.Image == "busybox" and i.Config.Cmd is None


def test_inspect_wire_keys_in_dockerd_order(tmp_path: Path) -> None:
    c = make(status=State.EXITED, exit_code=1)
    doc = msgspec.json.decode(msgspec.json.encode(inspect(c, tmp_path, {"MergedDir": "/m"},
                                                          [])))
    assert list(doc) == [
        "Id", "Created", "Path", "Args", "State", "Image", "ResolvConfPath", "HostnamePath",
        "HostsPath", "LogPath", "Name", "RestartCount", "Driver", "Platform", "MountLabel",
        "ProcessLabel", "AppArmorProfile", "ExecIDs", "HostConfig", "GraphDriver", "Mounts",
        "Config", "NetworkSettings"]
    assert doc["State"]["ExitReason"] and "Health" not in doc["State"]
    assert doc["ExecIDs"] is None and doc["Mounts"] == []
    assert doc["GraphDriver"] == {"Name": "overlay2", "Data": {"MergedDir": "/m"}}
    hc = doc["HostConfig"]
    assert hc["LogConfig"] == {"Type": "json-file", "Config": {}}
    assert hc["MaskedPaths"] and hc["ConsoleSize"] == [0, 0] and hc["ShmSize"] == 67108864
    assert "Sysctls" not in hc and "Annotations" not in hc and hc["Tmpfs"] is None
    cfg = doc["Config"]
    assert cfg["Env"] is None and cfg["Labels"] == {"app": "x"} and cfg["Tty"] is False
    assert "ExposedPorts" not in cfg and "Healthcheck" not in cfg and "StopSignal" not in cfg
    ns = doc["NetworkSettings"]
    assert ns["Networks"] == {} and ns["Ports"] == {} and ns["SecondaryIPAddresses"] is None


def test_summary_wire_keys_in_dockerd_order() -> None:
    doc = msgspec.json.decode(msgspec.json.encode(summary(make(), "busybox", now=0)))
    assert list(doc) == ["Id", "Names", "Image", "ImageID", "Command", "Created", "Ports",
                         "Labels", "State", "Status", "HostConfig", "NetworkSettings",
                         "Mounts"]
    assert doc["HostConfig"] == {"NetworkMode": "bridge"}
    assert doc["NetworkSettings"] == {"Networks": {}} and doc["Ports"] == []


def test_restart_policy_shows_its_zero_count(tmp_path: Path) -> None:
    c = make()
    c.host_config.RestartPolicy = RestartPolicy(Name="always")
    i = inspect(c, tmp_path, {}, [])
    assert i.HostConfig.RestartPolicy == RestartPolicyView(Name="always", MaximumRetryCount=0)


def test_filters() -> None:
    c = make(status=State.EXITED, exit_code=3)
    assert matches(c, {"status": ["exited"], "exited": ["3"]}, [])
    assert matches(c, {"label": ["app=x"]}, []) and not matches(c, {"label": ["app=y"]}, [])
    assert matches(c, {"name": ["we"]}, []) and not matches(c, {"name": ["^db"]}, [])
    assert matches(c, {"ancestor": ["busybox"]}, ["busybox:latest"])
    with pytest.raises(InvalidArgument):
        check_filters({"bogus": ["1"]})
    with pytest.raises(InvalidArgument):
        check_filters({"status": ["sleeping"]})


@pytest.mark.parametrize(("path", "args", "text"), [
    ("sh", ["-c", "trap 'exit 0' TERM; wait"], "sh -c 'trap 'exit 0' TERM; wait'"),
    ("httpd", [], "httpd"),
    ("echo", ["", "a"], "echo  a"),
    ("/my app/run", ["x"], "/my app/run x"),
])
def test_command_is_dockerds_text(path: str, args: list[str], text: str) -> None:
    assert summary(make(path=path, args=args), "busybox", now=0).Command == text


def _decorated() -> ContainerSummary:
    view = summary(make(status=State.RUNNING), "busybox", now=0)
    view.Mounts = [MountPoint(Type="volume", Name="data", Source="/v/data", Destination="/d"),
                   MountPoint(Type="bind", Source="/srv", Destination="/s")]
    view.NetworkSettings.Networks = {"front": EndpointSettings(NetworkID="f00d" + "0" * 60)}
    view.Ports = [Port(IP="0.0.0.0", PrivatePort=80, PublicPort=8080, Type="tcp"),
                  Port(PrivatePort=53, Type="udp")]
    return view


@pytest.mark.parametrize(("filters", "hit"), [
    ({"volume": ["data"]}, True), ({"volume": ["/s"]}, True), ({"volume": ["/srv"]}, True),
    ({"volume": ["other"]}, False), ({"network": ["front"]}, True),
    ({"network": ["f00d"]}, True), ({"network": ["back"]}, False),
    ({"publish": ["8080"]}, True), ({"publish": ["8079-8081/tcp"]}, True),
    ({"publish": ["80"]}, False), ({"expose": ["53/udp"]}, True),
    ({"expose": ["53"]}, False), ({"expose": ["53"], "publish": ["8080"]}, True),
    ({"label": ["app=y"]}, True),  # the record's filters are matches()'
])
def test_view_filters_read_the_plugins_parts(filters: dict[str, list[str]], hit: bool) -> None:
    assert view_matches(_decorated(), filters) is hit
