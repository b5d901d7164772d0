"""pallet.client's resources over a fake transport: the URL each method sends (path,
quoting, query), the body, and the typed answer it decodes."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from pallet.api.models import CreateRequest, EndpointSettings, HostConfig
from pallet.api.netmodels import IPAM, IPAMConfig, NetworkCreate, VolumeCreate
from pallet.api.view_networks import Network
from pallet.client import Client
from pallet.errors import Conflict, DataCorruption, NotFound
from pallet.testing.fake_transport import FakeTransport


@pytest.fixture
def fake() -> FakeTransport:
    return FakeTransport()


@pytest.fixture
def client(fake: FakeTransport) -> Client:
    return Client(fake)


def test_names_are_quoted_into_one_path_segment(client: Client, fake: FakeTransport) -> None:
    client.containers.start("we b?x#1")
    client.networks.remove("n%1")
    client.exec.resize("e&1", 10, 20)
    assert [s.url for s in fake.sent] == [
        "/v1.44/containers/we%20b%3Fx%231/start",
        "/v1.44/networks/n%251",
        "/v1.44/exec/e%261/resize?h=10&w=20",
    ]


def test_image_references_keep_their_slashes_and_tags(client: Client, fake: FakeTransport) -> None:
    fake.answer({})
    client.images.inspect("registry:5000/team/app:1.0")
    client.images.tag("busybox@sha256:ab", "my repo", "v 1")
    assert fake.sent[0].path == "/v1.44/images/registry:5000/team/app:1.0/json"
    assert fake.sent[1].url == "/v1.44/images/busybox@sha256:ab/tag?repo=my+repo&tag=v+1"


def test_list_query_sends_set_flags_and_filters_as_docker_json(
        client: Client, fake: FakeTransport) -> None:
    fake.answer([{"Id": "c1"}])
    items = client.containers.list(all=True, limit=2, filters={"label": ["a=b"]})
    assert items == [{"Id": "c1"}]
    assert fake.last.query == "all=1&limit=2&filters=%7B%22label%22%3A%7B%22a%3Db%22%3Atrue%7D%7D"
    client.containers.list()
    assert fake.last.url == "/v1.44/containers/json"


def test_create_answers_id_and_warnings_from_dict_or_struct(
        client: Client, fake: FakeTransport) -> None:
    fake.answer({"Id": "abc", "Warnings": ["low memory"]})
    created = client.containers.create({"Image": "busybox"}, name="web")
    assert (created.Id, created.Warnings) == ("abc", ["low memory"])
    assert fake.last.url == "/v1.44/containers/create?name=web"
    fake.answer({"Id": "def", "Warnings": None})
    body = CreateRequest(Image="busybox", Cmd=["true"], HostConfig=HostConfig(Memory=1 << 20))
    created = client.containers.create(body)
    assert (created.Id, created.Warnings) == ("def", [])
    assert fake.last.json() == {"Image": "busybox", "Cmd": ["true"],
                                "HostConfig": {"Memory": 1048576}}
    assert fake.last.headers["Content-Type"] == "application/json"


def test_wait_reports_code_and_error_message(client: Client, fake: FakeTransport) -> None:
    fake.answer({"StatusCode": 3, "Error": {"Message": "oom"}})
    status = client.containers.wait("web", "removed").result()
    assert (status.StatusCode, status.Error) == (3, "oom")
    assert fake.last.url == "/v1.44/containers/web/wait?condition=removed"
    fake.answer({"StatusCode": 0, "Error": None})
    status = client.containers.wait("web").result()
    assert (status.StatusCode, status.Error) == (0, "")


def test_daemon_errors_arrive_as_kinds(client: Client, fake: FakeTransport) -> None:
    fake.answer({"message": "network web not found"}, status=404)
    with pytest.raises(NotFound, match="network web not found"):
        client.networks.inspect("web")
    fake.answer({"message": "name in use"}, status=409)
    with pytest.raises(Conflict):
        client.volumes.create({"Name": "v"})


def test_network_create_body_and_typed_answer(client: Client, fake: FakeTransport) -> None:
    fake.answer({"Id": "n1", "Warning": ""})
    created = client.networks.create(NetworkCreate(
        Name="back", Driver="macvlan", Internal=True, Labels={"k": "v"},
        IPAM=IPAM(Config=[IPAMConfig(Subnet="10.9.0.0/24", Gateway="10.9.0.1")])))
    assert created.Id == "n1"
    assert fake.last.url == "/v1.44/networks/create"
    assert fake.last.headers["Content-Type"] == "application/json"
    assert fake.last.json() == {
        "Name": "back", "Driver": "macvlan", "Internal": True, "Labels": {"k": "v"},
        "IPAM": {"Config": [{"Subnet": "10.9.0.0/24", "Gateway": "10.9.0.1"}]},
    }
    client.networks.create({"Name": "wire", "CheckDuplicate": True})
    assert fake.last.json() == {"Name": "wire", "CheckDuplicate": True}


def test_network_inspect_decodes_endpoints_and_ignores_unknown_fields(
        client: Client, fake: FakeTransport) -> None:
    doc = {"Name": "back", "Id": "n1", "Driver": "bridge", "Internal": True, "Future": 1,
           "IPAM": {"Driver": "default", "Config": [{"Subnet": "10.9.0.0/24"}]},
           "Containers": {"c1": {"Name": "web", "IPv4Address": "10.9.0.2/24"}}}
    fake.answer(doc)
    net = client.networks.inspect("back")
    assert isinstance(net, Network)
    assert net.Containers is not None and net.Containers["c1"].IPv4Address == "10.9.0.2/24"
    assert net.IPAM is not None and net.IPAM.Config == [IPAMConfig(Subnet="10.9.0.0/24")]
    fake.answer(doc)
    assert client.networks.inspect_raw("back") == doc


def test_network_list_connect_disconnect_prune(client: Client, fake: FakeTransport) -> None:
    fake.answer([{"Name": "b", "Id": "2"}, {"Name": "a", "Id": "1"}])
    assert [n.Name for n in client.networks.list({"driver": ["bridge"]})] == ["b", "a"]
    assert fake.last.query == "filters=%7B%22driver%22%3A%7B%22bridge%22%3Atrue%7D%7D"
    client.networks.connect("back", "web", EndpointSettings(Aliases=["db"]))
    assert fake.last.path == "/v1.44/networks/back/connect"
    assert fake.last.json() == {"Container": "web", "EndpointConfig": {"Aliases": ["db"]}}
    client.networks.disconnect("back", "web", force=True)
    assert fake.last.json() == {"Container": "web", "Force": True}
    fake.answer({"NetworksDeleted": ["x"]})
    assert client.networks.prune().NetworksDeleted == ["x"]
    assert fake.last.url == "/v1.44/networks/prune"


def test_volumes(client: Client, fake: FakeTransport) -> None:
    fake.answer({"Name": "data", "Driver": "local", "Mountpoint": "/v/data",
                 "Labels": {"a": "1"}})
    vol = client.volumes.create(VolumeCreate(Name="data", Labels={"a": "1"}))
    assert (vol.Name, vol.Mountpoint, vol.Labels) == ("data", "/v/data", {"a": "1"})
    assert fake.last.json() == {"Name": "data", "Labels": {"a": "1"}}
    client.volumes.create()
    assert fake.last.json() == {}
    fake.answer({"Volumes": [{"Name": "data", "UsageData": {"Size": 5, "RefCount": 1}}],
                 "Warnings": None})
    listed = client.volumes.list()
    assert listed.Volumes is not None and listed.Volumes[0].UsageData is not None
    assert listed.Volumes[0].UsageData.Size == 5
    client.volumes.remove("da ta", force=True)
    assert fake.last.url == "/v1.44/volumes/da%20ta?force=1"
    fake.answer({"VolumesDeleted": ["a"], "SpaceReclaimed": 7})
    report = client.volumes.prune({"all": ["true"]})
    assert (report.VolumesDeleted, report.SpaceReclaimed) == (["a"], 7)


def test_network_and_volume_answers_as_sent(client: Client, fake: FakeTransport) -> None:
    nets = [{"Name": "p_back", "Labels": {"k": "v"}, "Future": 1}]
    fake.answer(nets)
    assert client.networks.list_raw({"label": ["k"]}) == nets
    assert fake.last.url == "/v1.44/networks?filters=%7B%22label%22%3A%7B%22k%22%3Atrue%7D%7D"
    fake.answer({"Id": "n1", "Warning": ""})
    assert client.networks.create_raw({"Name": "p_back"}) == {"Id": "n1", "Warning": ""}
    assert (fake.last.url, fake.last.json()) == ("/v1.44/networks/create", {"Name": "p_back"})
    fake.answer({"Volumes": [{"Name": "p_data", "Labels": None}], "Warnings": None})
    assert client.volumes.list_raw() == [{"Name": "p_data", "Labels": None}]
    assert fake.last.url == "/v1.44/volumes"
    fake.answer({"Volumes": None})
    assert client.volumes.list_raw() == []
    fake.answer({"Name": "p_data", "Driver": "local"})
    assert client.volumes.create_raw({"Name": "p_data"}) == {"Name": "p_data",
                                                             "Driver": "local"}
    assert (fake.last.url, fake.last.json()) == ("/v1.44/volumes/create", {"Name": "p_data"})


def test_resource_modules_load_their_views_only_when_they_decode() -> None:
    """Importing client.networks, client.volumes or client.containers loads no view
    module, no msgspec and no attach framing (a fresh interpreter tells)."""
    code = ("import sys; import pallet.client.networks, pallet.client.volumes, "
            "pallet.client.containers; print(sorted(m for m in sys.modules if "
            "m.startswith(('pallet.api', 'msgspec', 'pallet.client.hijack'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
                         check=True).stdout
    assert out.strip() == "[]"


def test_prune_reports_and_image_removal_are_typed(client: Client, fake: FakeTransport) -> None:
    fake.answer({"ContainersDeleted": None, "SpaceReclaimed": 0})
    assert client.containers.prune().ContainersDeleted is None
    fake.answer({"ImagesDeleted": [{"Untagged": "a:1"}, {"Deleted": "sha256:1"}],
                 "SpaceReclaimed": 9})
    report = client.images.prune({"dangling": ["false"]})
    assert [(i.Untagged, i.Deleted) for i in report.ImagesDeleted or []] == [
        ("a:1", ""), ("", "sha256:1")]
    fake.answer({"CachesDeleted": ["c"], "SpaceReclaimed": 3})
    assert client.build.prune(all=True).CachesDeleted == ["c"]
    assert fake.last.url == "/v1.44/build/prune?all=1"
    fake.answer([{"Untagged": "b:2"}])
    assert [i.Untagged for i in client.images.remove("b:2", force=True)] == ["b:2"]
    assert fake.last.url == "/v1.44/images/b:2?force=1"


def test_changes_commit_update_top(client: Client, fake: FakeTransport) -> None:
    fake.answer(raw=b"null")
    assert client.containers.changes("web") == []
    fake.answer([{"Path": "/etc", "Kind": 0}, {"Path": "/x", "Kind": 1}])
    assert [(c.Kind, c.Path) for c in client.containers.changes("web")] == [
        (0, "/etc"), (1, "/x")]
    fake.answer({"Id": "sha256:img"})
    assert client.containers.commit("web", repo="app", changes=["ENV A=1"]).Id == "sha256:img"
    assert fake.last.url == "/v1.44/commit?container=web&repo=app&pause=1&changes=ENV+A%3D1"
    fake.answer({"Warnings": []})
    assert client.containers.update("web", {"Memory": 1024}).Warnings == []
    assert fake.last.json() == {"Memory": 1024}
    fake.answer({"Titles": ["PID"], "Processes": [["1"]]})
    top = client.containers.top("web", "aux")
    assert (top.Titles, top.Processes) == (["PID"], [["1"]])
    assert fake.last.url == "/v1.44/containers/web/top?ps_args=aux"


def test_exec_create_and_state(client: Client, fake: FakeTransport) -> None:
    fake.answer({"Id": "e1"})
    assert client.exec.create("web", {"Cmd": ["true"]}) == "e1"
    assert fake.last.url == "/v1.44/containers/web/exec"
    fake.answer({"ID": "e1", "Running": False, "ExitCode": 4, "Pid": 7})
    state = client.exec.inspect("e1")
    assert (state.ExitCode, state.Running, state.Pid) == (4, False, 7)


def test_registry_sends_credentials_header(client: Client, fake: FakeTransport) -> None:
    client.registry.pull("127.0.0.1:5000/app", "1", all_tags=True, auth="abc=")
    assert fake.last.url == "/v1.44/images/create?fromImage=127.0.0.1%3A5000%2Fapp&tag=1&all=1"
    assert fake.last.headers["X-Registry-Auth"] == "abc="
    client.registry.push("127.0.0.1:5000/app", "1")
    assert fake.last.url == "/v1.44/images/127.0.0.1:5000/app/push?tag=1"
    assert fake.last.headers["X-Registry-Auth"] == "e30="
    fake.answer({"Status": "Login Succeeded", "IdentityToken": ""})
    assert client.registry.login("u", "p", "reg").Status == "Login Succeeded"
    assert fake.last.json() == {"username": "u", "password": "p", "serveraddress": "reg"}


def test_build_streams_the_context_with_its_options(client: Client, fake: FakeTransport) -> None:
    client.build.build(iter([b"tar", b"data"]), tags=["a:1", "b:2"], dockerfile="Dockerfile",
                       buildargs={"V": "1"}, nocache=True, secrets={"tok": "s3"})
    sent = fake.last
    assert sent.body == b"tardata"
    assert sent.query == ("t=a%3A1&t=b%3A2&dockerfile=Dockerfile&buildargs=%7B%22V%22%3A+%221%22%7D"
                          "&nocache=1")
    secrets = sent.headers["X-Pallet-Build-Secrets"]
    assert json.loads(base64.urlsafe_b64decode(secrets + "=" * (-len(secrets) % 4))) == {
        "tok": "s3"}


def test_archive_stat_decodes_the_header(client: Client, fake: FakeTransport) -> None:
    stat = {"name": "etc", "size": 4096, "mode": 2147484141}
    header = base64.b64encode(json.dumps(stat).encode()).decode()
    fake.answer(headers={"X-Docker-Container-Path-Stat": header})
    assert client.archive.stat("web", "/etc") == stat
    assert fake.last.method == "HEAD"
    assert fake.last.url == "/v1.44/containers/web/archive?path=%2Fetc"


def test_system_df_and_bootstrap(client: Client, fake: FakeTransport) -> None:
    fake.answer({"LayersSize": 10, "Images": [], "Volumes": [{"Name": "v"}],
                 "BuildCache": [{"ID": "c", "Size": 3, "InUse": True}]})
    df = client.system.df()
    assert df.LayersSize == 10 and df.BuildCache is not None and df.BuildCache[0].InUse
    client.pallet.bootstrap("busybox", "1.36")
    assert fake.last.url == "/v1.44/pallet/images/bootstrap?name=busybox&tag=1.36"


def test_run_path_modules_do_not_import_msgspec() -> None:
    """msgspec costs a ``pallet run`` ~15 ms: the run/exec resources must not load it."""
    code = ("import sys; from pallet.client import Client; from pallet.client.http import "
            "Transport; c = Client(Transport('unix:///x')); c.containers; c.exec; c.system; "
            "c.archive; c.images; c.registry; c.pallet; print('msgspec' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[3] / "src")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    assert out.stdout.strip() == "False"


def test_no_resource_module_writes_a_url_path() -> None:
    """Resources build paths with ``resource.path`` alone (it quotes every name)."""
    root = Path(__file__).parents[3] / "src" / "pallet" / "client"
    modules = [p for p in sorted(root.glob("*.py")) if "(Resource):" in p.read_text()]
    assert len(modules) == 10
    offenders = [f"{p.name}: {line.strip()}" for p in modules
                 for line in p.read_text().splitlines() if 'f"/' in line or '+ "/' in line]
    assert offenders == []


def test_stats_are_sent_eagerly_and_decoded_per_line(client: Client, fake: FakeTransport) -> None:
    one = {"id": "c1", "name": "/web", "read": "2026-01-01T00:00:01Z",
           "cpu_stats": {"cpu_usage": {"total_usage": 20}, "online_cpus": 2},
           "memory_stats": {"usage": 5, "stats": {"inactive_file": 1}, "limit": 9},
           "networks": {"eth0": {"rx_bytes": 3, "tx_bytes": 4}}, "future": {"x": 1}}
    two = {**one, "pids_stats": {"current": 7}}
    fake.answer(raw=json.dumps(one).encode() + b"\n" + json.dumps(two).encode())
    samples = client.containers.stats("web")
    assert fake.last.url == "/v1.44/containers/web/stats?stream=1"
    got = list(samples)
    assert [s.pids_stats.current for s in got] == [msgspec.UNSET, 7]  # absent: unset
    assert got[0].cpu_stats.cpu_usage.total_usage == 20 and got[0].memory_stats.limit == 9
    assert got[0].networks is not None and got[0].networks["eth0"].tx_bytes == 4
    fake.answer(raw=json.dumps(one).encode() + b"\n")
    sample = client.containers.stats_once("web")
    assert sample is not None and sample.name == "/web"
    assert fake.last.url == "/v1.44/containers/web/stats?stream=0"
    fake.answer({"message": "No such container: ghost"}, status=404)
    with pytest.raises(NotFound):
        client.containers.stats("ghost")


def test_from_env_prefers_pallet_host_over_docker_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///docker.sock")
    assert Client.from_env().t.host == "unix:///docker.sock"
    monkeypatch.setenv("PALLET_HOST", "tcp://127.0.0.1:2375")
    assert Client.from_env().t.host == "tcp://127.0.0.1:2375"


def test_an_answer_of_another_shape_is_a_data_error(client: Client, fake: FakeTransport) -> None:
    fake.answer({"Name": "n", "Internal": "yes"})
    with pytest.raises(DataCorruption, match=r"Internal"):
        client.networks.inspect("n")
    fake.answer(raw=b"<html>")
    with pytest.raises(DataCorruption):
        client.volumes.list()
    fake.answer({"not": "a list"})
    with pytest.raises(DataCorruption):
        client.containers.changes("web")
    fake.answer(raw=b'{"id": "c1", "pids_stats": {"current": "many"}}\n')
    with pytest.raises(DataCorruption, match=r"current"):
        client.containers.stats_once("web")


def test_event_stream_is_typed(client: Client, fake: FakeTransport) -> None:
    ev = {"Type": "container", "Action": "start", "scope": "local", "time": 5,
          "timeNano": 5_000_000_001, "status": "start", "id": "c1",
          "Actor": {"ID": "c1", "Attributes": {"com.docker.compose.service": "web"}}}
    fake.answer(raw=json.dumps(ev).encode() + b"\n")
    events = list(client.system.event_stream(since="0", until="9", filters={"type": ["container"]}))
    assert fake.last.url == ("/v1.44/events?since=0&until=9&filters=%7B%22type%22%3A%7B%22"
                             "container%22%3Atrue%7D%7D")
    assert [(e.Type, e.Action, e.Actor.ID, e.timeNano) for e in events] == [
        ("container", "start", "c1", 5_000_000_001)]
    assert events[0].Actor.Attributes == {"com.docker.compose.service": "web"}


@pytest.mark.parametrize("filters", [
    {"status": []}, {"label": ["a=b", "c", "a=b"], "status": ["running"]},
    {"label": ['quo"te', "back\\slash", "tab\tnew\nline", "\x00ctl", "caf\u00e9 \U0001f40b"]},
    {"na\u00efve/key": ["v"]},
])
def test_filters_query_is_the_docker_clis_compact_json(filters: dict[str, list[str]]) -> None:
    from pallet.client.resource import filters_query

    expected = json.dumps({k: {v: True for v in vs} for k, vs in filters.items()},
                          separators=(",", ":"))
    assert filters_query(filters) == expected
    assert filters_query({}) is None
