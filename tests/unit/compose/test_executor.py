"""The executor over a fake engine: what ``up``/``down`` do to the engine, in which
order, and the create bodies a compose service becomes."""

from __future__ import annotations

import io
import os
import stat
import threading
from pathlib import Path
from typing import Any

import msgspec
import pytest

from pallet.compose import labels, lifecycle
from pallet.compose.conditions import DependencyFailed
from pallet.compose.confighash import ProjectHashes, network_hash, volume_hash
from pallet.compose.convert import container_body
from pallet.compose.executor import Executor, run_steps
from pallet.compose.model import Project
from pallet.compose.mounts import filesystem
from pallet.compose.plan import DownOptions, Plan, Step, UpOptions
from pallet.compose.progress import Progress
from pallet.testing.compose_engine import FakeEngine

STACK: dict[str, Any] = {
    "name": "p",
    "services": {
        "db": {"image": "busybox", "networks": {"back": None},
               "volumes": [{"type": "volume", "source": "data", "target": "/data"}],
               "secrets": [{"source": "pw"}],
               "healthcheck": {"test": ["CMD", "true"], "interval": 1_000_000_000}},
        "web": {"image": "busybox", "networks": {"front": None, "back": None},
                "ports": [{"target": 80, "published": "8080"}],
                "depends_on": {"db": {"condition": "service_healthy"}}},
    },
    "networks": {"front": {"name": "p_front"}, "back": {"name": "p_back", "internal": True}},
    "volumes": {"data": {"name": "p_data"}},
    "secrets": {"pw": {"name": "p_pw", "environment": "PW"}},
    "x-pallet-env": {"PW": "s3cret"},
    "x-pallet-working-dir": "/src", "x-pallet-files": ["/src/compose.yaml"],
}


def load(doc: dict[str, Any] = STACK, **services: Any) -> Project:
    merged = {**doc, "services": {**doc["services"], **services}}
    for name, svc in merged["services"].items():
        svc["name"] = name
    return msgspec.convert(merged, Project)


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr("pallet.compose.executor.secrets_root", lambda: str(tmp_path))
    return tmp_path


def quiet() -> Progress:
    return Progress(io.StringIO())


def test_up_creates_resources_then_starts_db_healthy_before_web(files: Path) -> None:
    engine = FakeEngine()
    engine.health["p-db-1"] = "healthy"
    progress = quiet()
    lifecycle.up(engine, load(), UpOptions(), progress)
    assert set(engine.networks) == {"p_front", "p_back"} and set(engine.volumes) == {"p_data"}
    # each carries Compose v2's hash of its own configuration
    hashes = {n: b["Labels"]["com.docker.compose.config-hash"]
              for n, b in [*engine.networks.items(), *engine.volumes.items()]}
    assert hashes["p_front"] == network_hash({"name": "p_front", "ipam": {}})
    assert hashes["p_back"] == network_hash({"name": "p_back", "ipam": {}, "internal": True})
    assert hashes["p_data"] == volume_hash({"name": "p_data"})
    assert engine.names() == ["p-db-1", "p-web-1"]
    starts = [c for c in engine.calls if c[0] == "start"]
    assert starts == [("start", "p-db-1"), ("start", "p-web-1")]
    assert progress.lines.index(" Container p-db-1  Healthy") < \
        progress.lines.index(" Container p-web-1  Starting")
    web = engine.find("p-web-1")["Labels"]
    assert web[labels.PROJECT] == "p" and web[labels.SERVICE] == "web"
    assert web[labels.CONTAINER_NUMBER] == "1" and web[labels.ONEOFF] == "False"
    assert web[labels.DEPENDS_ON] == "db:service_healthy:false"
    assert engine.networks["p_back"]["Internal"] is True
    assert engine.networks["p_back"]["Labels"][labels.NETWORK] == "back"
    # a second up changes nothing
    engine.calls.clear()
    lifecycle.up(engine, load(), UpOptions(), quiet())
    assert engine.calls == []


def test_unhealthy_dependency_fails_up_and_web_never_starts(files: Path) -> None:
    engine = FakeEngine()
    engine.health["p-db-1"] = "unhealthy"
    with pytest.raises(DependencyFailed, match="p-db-1 is unhealthy"):
        lifecycle.up(engine, load(), UpOptions(), quiet())
    starts = [c for c in engine.calls if c[0] == "start"]
    assert starts == [("start", "p-db-1")]  # db ran and was judged; web never started


def test_failed_one_shot_dependency_fails_but_an_optional_one_only_warns(files: Path) -> None:
    job = {"image": "busybox"}
    app = {"image": "busybox", "depends_on": {
        "job": {"condition": "service_completed_successfully"}}}
    doc = {"name": "q", "services": {"job": job, "app": app}}
    engine = FakeEngine()
    engine.exit_codes["q-job-1"] = 3
    with pytest.raises(DependencyFailed, match="didn't complete successfully: exit 3"):
        lifecycle.up(engine, load(doc), UpOptions(), quiet())
    engine = FakeEngine()
    engine.exit_codes["q-job-1"] = 3
    app["depends_on"]["job"]["required"] = False
    progress = quiet()
    lifecycle.up(engine, load(doc), UpOptions(), progress)
    assert ("start", "q-app-1") in engine.calls
    assert any("optional dependency 'job'" in line for line in progress.lines)


def test_network_and_volume_labels_hold_the_hashes_compose_v2_gives_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pallet.compose.loader import load as load_file
    from pallet.compose.options import ProjectOptions

    (tmp_path / "compose.yaml").write_text("""
name: hp
services:
  a: {image: busybox, networks: [n1, n2], volumes: ["v1:/d", "v2:/e"]}
networks:
  n1:
    internal: true
    labels: {z: "1", a: "2"}
    driver_opts: {com.docker.network.driver.mtu: "1400"}
    ipam: {config: [{subnet: 10.77.0.0/24, gateway: 10.77.0.1}]}
  n2: {attachable: true, enable_ipv6: false}
volumes:
  v1: {labels: [x=y]}
  v2: {driver: local, driver_opts: {type: tmpfs, device: tmpfs}}
""")
    monkeypatch.chdir(tmp_path)
    hashes = ProjectHashes(load_file(ProjectOptions()))
    # the labels Compose v2.40 put on these networks and volumes when it created them
    assert hashes.networks == {
        "n1": "af76dce33641257595041a86635d74ceb3980e113141623076ccedba5d6d9bee",
        "n2": "22503adf8b277f360d7600b054bad6f5bed206affcdac8d0a44bfe5bbd76f9b1"}
    assert hashes.volumes == {
        "v1": "10f9a96c71fd1c9a0529cff4aee741880e8911544da9eea83b505736e2aa5200",
        "v2": "43088bc63ef9b47f729c04a678394a36e63da9eed866c781ee715c8b38070b55"}


def test_a_changed_volume_is_made_again_when_confirmed(files: Path) -> None:
    engine = FakeEngine()
    engine.health["p-db-1"] = "healthy"
    lifecycle.up(engine, load(), UpOptions(), quiet())
    changed = {**STACK, "volumes": {"data": {"name": "p_data", "labels": {"v": "2"}}}}
    asked: list[str] = []

    def no(question: str) -> bool:
        asked.append(question)
        return False

    engine.calls.clear()
    lifecycle.up(engine, load(changed), UpOptions(), quiet(), confirm=no)
    assert asked == ['Volume "p_data" exists but doesn\'t match configuration in compose '
                     "file. Recreate (data will be lost)?"]
    assert not [c for c in engine.calls if c[0] in ("remove", "create_volume")]
    lifecycle.up(engine, load(changed), UpOptions(), quiet(), confirm=lambda q: True)
    assert [c for c in engine.calls if c[0] in ("remove", "remove_volume", "create_volume")] \
        == [("remove", "p-db-1"), ("remove_volume", "p_data"), ("create_volume", "p_data")]
    assert engine.volumes["p_data"]["Labels"]["v"] == "2"
    assert engine.names() == ["p-db-1", "p-web-1"]


def test_changed_service_is_recreated_under_a_temporary_name(files: Path) -> None:
    engine = FakeEngine()
    engine.health["p-db-1"] = "healthy"
    lifecycle.up(engine, load(), UpOptions(), quiet())
    old = engine.find("p-web-1")["Id"]
    engine.calls.clear()
    changed = load(web={**STACK["services"]["web"], "environment": {"A": "1"}})
    lifecycle.up(engine, changed, UpOptions(), quiet())
    assert [c[0] for c in engine.calls] == ["create", "stop", "remove", "rename", "start"]
    assert engine.calls[0][1] == f"{old[:12]}_p-web-1"
    assert "A=1" in engine.find("p-web-1")["Body"]["Env"]


def test_down_removes_dependents_first_then_networks_and_with_v_volumes(files: Path) -> None:
    engine = FakeEngine()
    engine.health["p-db-1"] = "healthy"
    lifecycle.up(engine, load(), UpOptions(), quiet())
    secret_dir = files / "p" / "p-db-1"
    assert secret_dir.is_dir()
    engine.calls.clear()
    lifecycle.down(engine, load(), DownOptions(), quiet(), parallel=1)
    stops = [c[1] for c in engine.calls if c[0] == "stop"]
    assert stops == ["p-web-1", "p-db-1"]
    assert engine.names() == [] and engine.networks == {} and "p_data" in engine.volumes
    assert not secret_dir.exists() and not secret_dir.parent.exists()
    lifecycle.up(engine, load(), UpOptions(), quiet())
    lifecycle.down(engine, "p", DownOptions(volumes=True), quiet())  # by name, no file
    assert engine.names() == [] and engine.networks == {} and engine.volumes == {}


def test_down_with_no_grace_removes_each_container_in_one_request(files: Path) -> None:
    engine = FakeEngine()
    engine.health["p-db-1"] = "healthy"
    lifecycle.up(engine, load(), UpOptions(), quiet())
    engine.calls.clear()
    progress = quiet()
    lifecycle.down(engine, load(), DownOptions(timeout=0), progress, timeout=0, parallel=1)
    assert [c for c in engine.calls if c[0] in ("stop", "remove")] == [
        ("remove", "p-web-1"), ("remove", "p-db-1")]
    assert engine.names() == [] and engine.networks == {}
    # reported as Compose v2 reports a stop and a removal
    assert [line for line in progress.lines if "p-db-1" in line] == [
        f" Container p-db-1  {s}" for s in ("Stopping", "Stopped", "Removing", "Removed")]


def test_env_secret_is_a_file_bound_read_only_and_never_in_env_or_labels(files: Path) -> None:
    engine = FakeEngine()
    engine.health["p-db-1"] = "healthy"
    lifecycle.up(engine, load(), UpOptions(), quiet())
    body = engine.find("p-db-1")["Body"]
    path = files / "p" / "p-db-1" / "secret-pw-0"
    assert f"{path}:/run/secrets/pw:ro" in body["HostConfig"]["Binds"]
    assert path.read_text() == "s3cret"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
    assert "s3cret" not in msgspec.json.encode(body).decode()


def test_create_body_translates_the_service() -> None:
    svc = {
        "image": "busybox", "command": ["sh", "-c", "x"], "entrypoint": [],
        "environment": {"A": "1", "B": None}, "user": "1000:1000", "working_dir": "/w",
        "hostname": "h", "read_only": True, "init": True, "cap_drop": ["ALL"],
        "cap_add": ["NET_BIND_SERVICE"], "security_opt": ["no-new-privileges:true"],
        "mem_limit": 64 << 20, "memswap_limit": 128 << 20, "cpus": 0.5,
        "deploy": {"resources": {"limits": {"pids": 50}, "reservations": {"memory": 1 << 20}}},
        "ulimits": {"nofile": {"soft": 100, "hard": 200}, "nproc": {"single": 10}},
        "restart": "on-failure:3", "stop_signal": "SIGINT", "stop_grace_period": 5_000_000_000,
        "tmpfs": ["/tmp:size=1m"], "extra_hosts": ["db=10.0.0.2"], "expose": ["9000-9001"],
        "ports": [{"target": 80, "published": "8080", "host_ip": "127.0.0.1"}],
        "healthcheck": {"disable": True}, "labels": {"x": "y"},
        "logging": {"driver": "json-file", "options": {"max-size": "1m"}},
        "networks": {"front": {"aliases": ["www"], "ipv4_address": "10.1.0.5"}},
        "volumes": [
            {"type": "bind", "source": "/etc/hostname", "target": "/h", "read_only": True},
            {"type": "volume", "source": "data", "target": "/d"},
            {"type": "volume", "source": "data", "target": "/n", "volume": {"nocopy": True}},
            {"type": "volume", "target": "/anon"},
            {"type": "tmpfs", "target": "/t", "tmpfs": {"size": 1024}}],
    }
    project = load(web=svc)
    s = project.services["web"]
    body = container_body(project, s, name="p-web-1", number=1, config_hash="h",
                          fs=filesystem(project, s, "/x"))
    host = body["HostConfig"]
    assert body["Cmd"] == ["sh", "-c", "x"] and body["Entrypoint"] == []
    assert body["Env"] == ["A=1", "B"] and body["User"] == "1000:1000"
    assert body["Healthcheck"] == {"Test": ["NONE"]} and body["StopTimeout"] == 5
    assert body["Labels"]["x"] == "y" and body["Labels"][labels.CONFIG_HASH] == "h"
    assert set(body["ExposedPorts"]) == {"80/tcp", "9000/tcp", "9001/tcp"}
    assert host["PortBindings"] == {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]}
    assert host["ReadonlyRootfs"] and host["Init"] and host["CapDrop"] == ["ALL"]
    assert host["Memory"] == 64 << 20 and host["MemorySwap"] == 128 << 20
    assert host["NanoCpus"] == 500_000_000 and host["PidsLimit"] == 50
    assert host["MemoryReservation"] == 1 << 20
    assert {"Name": "nofile", "Soft": 100, "Hard": 200} in host["Ulimits"]
    assert {"Name": "nproc", "Soft": 10, "Hard": 10} in host["Ulimits"]
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert host["Tmpfs"] == {"/tmp": "size=1m"} and host["ExtraHosts"] == ["db:10.0.0.2"]
    assert host["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "1m"}}
    assert host["Binds"] == ["/etc/hostname:/h:ro", "p_data:/d:rw"]
    assert {"Type": "volume", "Source": "p_data", "Target": "/n", "ReadOnly": False,
            "VolumeOptions": {"NoCopy": True}} in host["Mounts"]
    assert {"Type": "volume", "Target": "/anon", "ReadOnly": False} in host["Mounts"]
    assert {"Type": "tmpfs", "Target": "/t", "ReadOnly": False,
            "TmpfsOptions": {"SizeBytes": 1024}} in host["Mounts"]
    assert host["NetworkMode"] == "p_front"
    ep = body["NetworkingConfig"]["EndpointsConfig"]["p_front"]
    assert ep["Aliases"] == ["p-web-1", "web", "www"]
    assert ep["IPAMConfig"] == {"IPv4Address": "10.1.0.5"}


def test_a_service_without_networks_joins_the_project_default_network(files: Path) -> None:
    engine = FakeEngine()
    lifecycle.up(engine, load({"name": "d", "services": {"a": {"image": "busybox"}}}),
                 UpOptions(), quiet())
    assert engine.networks["d_default"]["Labels"][labels.NETWORK] == "default"
    assert engine.find("d-a-1")["Body"]["HostConfig"]["NetworkMode"] == "d_default"


def test_independent_steps_run_at_once_and_a_failure_stops_later_steps() -> None:
    barrier = threading.Barrier(2, timeout=5)
    ran: list[str] = []

    def action(step: Step) -> None:
        if step.id in ("a", "b"):
            barrier.wait()  # both must be running together to pass
        if step.id == "c":
            raise RuntimeError("c failed")
        ran.append(step.id)

    run_steps(Plan([Step("a", "start_container"), Step("b", "start_container")]), action)
    assert sorted(ran) == ["a", "b"]
    ran.clear()
    plan = Plan([Step("c", "start_container"), Step("d", "start_container", after=("c",))])
    with pytest.raises(RuntimeError, match="c failed"):
        run_steps(plan, action)
    assert ran == []


def test_a_thread_that_finished_a_step_takes_the_next() -> None:
    threads: dict[str, int] = {}

    def action(step: Step) -> None:
        threads[step.id] = threading.get_ident()

    chain = [Step("a", "start_container"), Step("b", "start_container", after=("a",)),
             Step("c", "start_container", after=("b",))]
    run_steps(Plan(chain), action)
    assert list(threads) == ["a", "b", "c"] and len(set(threads.values())) == 1


def test_executor_reports_plan_warnings(files: Path) -> None:
    progress = quiet()
    Executor(FakeEngine(), load(), progress).run(Plan(warnings=["orphans here"]))
    assert progress.lines == ["WARN[0000] orphans here"]


def test_before_api_1_44_extra_networks_are_connected_after_create(files: Path) -> None:
    engine = FakeEngine()
    engine.version = "1.41"
    engine.health["p-db-1"] = "healthy"
    lifecycle.up(engine, load(), UpOptions(), quiet())
    web = engine.find("p-web-1")
    assert web["Body"]["HostConfig"]["NetworkMode"] == "p_back"
    assert ("connect", "p-web-1@p_front") in engine.calls
    assert engine.calls.index(("create", "p-web-1")) < engine.calls.index(
        ("connect", "p-web-1@p_front")) < engine.calls.index(("start", "p-web-1"))
    assert web["Body"]["NetworkingConfig"]["EndpointsConfig"]["p_front"]["Aliases"] == [
        "p-web-1", "web"]


def test_recreate_keeps_anonymous_volumes_and_renew_drops_them(files: Path) -> None:
    doc = {"name": "a", "services": {"db": {
        "image": "busybox", "volumes": [{"type": "volume", "target": "/var/lib/data"}]}}}
    engine = FakeEngine()
    lifecycle.up(engine, load(doc), UpOptions(), quiet())
    anon = engine.find("a-db-1")["Mounts"][0]["Name"]
    changed = {"name": "a", "services": {"db": {**doc["services"]["db"], "user": "1"}}}
    lifecycle.up(engine, load(changed), UpOptions(), quiet())
    assert engine.find("a-db-1")["Mounts"] == [
        {"Type": "volume", "Destination": "/var/lib/data", "RW": True, "Name": anon}]
    lifecycle.up(engine, load(changed), UpOptions(recreate="force"), quiet(), renew=True)
    assert engine.find("a-db-1")["Mounts"][0]["Name"] != anon


def test_dry_run_plans_and_reports_everything_and_changes_nothing(files: Path) -> None:
    from pallet.compose.dryrun import DryRunEngine

    engine = FakeEngine()
    progress = quiet()
    progress.prefix = "DRY-RUN MODE - "
    lifecycle.up(DryRunEngine(engine), load(), UpOptions(), progress)
    assert engine.calls == [] and engine.networks == {} and engine.names() == []
    assert "DRY-RUN MODE -  Container p-web-1  Started" in progress.lines
    assert progress.lines.index("DRY-RUN MODE -  Container p-db-1  Started") < \
        progress.lines.index("DRY-RUN MODE -  Container p-web-1  Starting")


def test_a_remote_engine_gets_secret_files_copied_in_with_owner_and_mode(files: Path) -> None:
    import tarfile

    doc = {**STACK, "services": {**STACK["services"], "db": {
        **STACK["services"]["db"], "secrets": [{"source": "pw", "uid": "70", "mode": 0o400}]}}}
    engine = FakeEngine()
    engine.local = False
    engine.health["p-db-1"] = "healthy"
    lifecycle.up(engine, load(doc), UpOptions(), quiet())
    body = engine.find("p-db-1")["Body"]
    assert not any("/run/secrets" in b for b in body["HostConfig"].get("Binds", []))
    assert not (files / "p").exists()
    with tarfile.open(fileobj=io.BytesIO(engine.archives["p-db-1"][0])) as tar:
        info = tar.getmembers()[0]
        assert (info.name, info.uid, info.mode) == ("run/secrets/pw", 70, 0o400)
        extracted = tar.extractfile(info)
        assert extracted is not None and extracted.read() == b"s3cret"
    assert engine.calls.index(("put_archive", "p-db-1")) < engine.calls.index(
        ("start", "p-db-1"))


def test_down_reports_a_network_or_volume_still_in_use_and_goes_on(files: Path) -> None:
    """A one-off container left running keeps the network (and a volume): Compose v2 says
    so and succeeds; the removal errors the engine gives are not the command's failure."""
    engine = FakeEngine()
    engine.health["p-db-1"] = "healthy"
    lifecycle.up(engine, load(), UpOptions(), quiet())
    engine.in_use |= {"p_back", "p_data"}
    progress = quiet()
    lifecycle.down(engine, load(), DownOptions(volumes=True), progress, parallel=1)
    assert engine.names() == []
    assert " Network p_back  Resource is still in use" in progress.lines
    assert " Network p_front  Removed" in progress.lines
    assert " Volume p_data  Resource is still in use" in progress.lines


class _SlowStarts(FakeEngine):
    """Starts that take a while, counting how many run at once (and which)."""

    def __init__(self) -> None:
        super().__init__()
        self.running: set[str] = set()
        self.overlaps: list[set[str]] = []
        self.seen = threading.Lock()

    def start(self, ref: str) -> None:
        name = self.find(ref)["Name"]
        with self.seen:
            self.running.add(name)
            self.overlaps.append(set(self.running))
        threading.Event().wait(0.05)
        super().start(ref)
        with self.seen:
            self.running.discard(name)


def test_containers_start_at_once_unless_they_publish_ports(files: Path) -> None:
    plain = {"image": "busybox", "networks": {"back": None}}
    ported = {**plain, "ports": [{"target": 80, "published": "0"}]}
    doc = {**STACK, "services": {"a": dict(plain), "b": dict(plain), "c": dict(plain),
                                 "p1": dict(ported), "p2": dict(ported)}}
    engine = _SlowStarts()
    lifecycle.up(engine, load(doc), UpOptions(), quiet())
    assert {"p-a-1", "p-b-1", "p-c-1"} <= set().union(*engine.overlaps)
    assert max(len(s & {"p-a-1", "p-b-1", "p-c-1"}) for s in engine.overlaps) > 1
    assert not any({"p-p1-1", "p-p2-1"} <= s for s in engine.overlaps)
