"""The reverse direction and the container source, over the converter's own output: a
generated pod back to a create body keeps the health check, limits and hardening; the
generated NetworkPolicies become one network per compose network; a container's inspect
document reads back as the compose service that makes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pallet.api.view_config import decode_config
from pallet.compose.loader import load
from pallet.compose.options import ProjectOptions
from pallet.kube.convert import Inputs, Options, convert
from pallet.kube.gather import file_contents, service_of
from pallet.kube.play import _groups
from pallet.kube.podrun import create_body, quantity

PROJECT = Path(__file__).resolve().parents[2] / "compose" / "projects" / "kube"
S = 1_000_000_000


def _objects() -> list[dict[str, Any]]:
    project = load(ProjectOptions(files=(str(PROJECT / "compose.yaml"),), environ={}))
    return convert(project, Inputs(files=file_contents(project)), Options()).objects


def _db() -> dict[str, Any]:
    return next(o for o in _objects() if o["kind"] == "Deployment"
                and o["metadata"]["name"] == "db")


def test_a_generated_pod_runs_with_its_healthcheck_limits_and_hardening() -> None:
    pod = _db()["spec"]["template"]["spec"]
    sources = {"vol-postgres-data": ("volume", "p_postgres-data"),
               "tmpfs-0": ("tmpfs", 64 << 20), "secret-db-password": ("files", "/run/x")}
    warn: list[str] = []
    body = create_body(pod["containers"][0], pod, sources, lambda *_: None, {"l": "v"}, warn,
                       "db")
    assert warn == []
    assert body["Healthcheck"] == {"Test": ["CMD", "pg_isready"], "Interval": 2 * S,
                                   "Timeout": 3 * S, "Retries": 5, "StartPeriod": 20 * S}
    host = body["HostConfig"]
    assert (host["Memory"], host["NanoCpus"], host["MemoryReservation"]) == (
        512 << 20, S // 2, 256 << 20)
    assert host["ReadonlyRootfs"] and host["CapDrop"] == ["ALL"]
    assert host["SecurityOpt"] == ["no-new-privileges:true"] and body["User"] == "70:70"
    assert {"Type": "bind", "Source": "/run/x/db_password", "Target":
            "/run/secrets/db_password", "ReadOnly": True} in host["Mounts"]
    assert {"Type": "tmpfs", "Target": "/tmp", "TmpfsOptions": {"SizeBytes": 64 << 20}} \
        in host["Mounts"]


def test_the_network_policies_play_as_one_network_per_compose_network() -> None:
    warn: list[str] = []
    groups = _groups(_objects(), "p", warn)
    assert groups == {"p_network-backend": {"network.pallet.io/backend": "true"},
                      "p_network-frontend": {"network.pallet.io/frontend": "true"}}
    assert warn == []
    odd = {"kind": "NetworkPolicy", "metadata": {"name": "deny"},
           "spec": {"podSelector": {"matchLabels": {"a": "b"}}, "ingress": [
               {"from": [{"namespaceSelector": {}}]}]}}
    assert _groups([odd], "p", warn) == {} and "NetworkPolicy deny" in warn[0]


def test_quantities_read_back() -> None:
    assert [quantity(q) for q in ("500m", "2", "64Mi", "1G")] == [0.5, 2, 64 << 20, 10**9]


def test_a_container_reads_back_as_its_compose_service() -> None:
    doc = {"Name": "/db", "Config": {
        "Image": "postgres:15-alpine", "Env": ["PATH=/bin", "POSTGRES_DB=app"],
        "User": "70", "ExposedPorts": {"5432/tcp": {}},
        "Healthcheck": {"Test": ["CMD", "pg_isready"], "Interval": S, "Retries": 3}},
        "HostConfig": {"Memory": 512 << 20, "NanoCpus": S // 2, "ReadonlyRootfs": True,
                       "CapDrop": ["ALL"], "SecurityOpt": ["no-new-privileges"],
                       "PortBindings": {"5432/tcp": [{"HostPort": "15432"}]},
                       "Tmpfs": {"/tmp": "size=64m"}, "NetworkMode": "backend"},
        "Mounts": [{"Type": "volume", "Name": "pgdata", "Destination": "/data", "RW": True},
                   {"Type": "bind", "Source": "/srv", "Destination": "/srv", "RW": False}],
        "NetworkSettings": {"Networks": {"backend": {}}}}
    svc = service_of(doc, decode_config({"Env": ["PATH=/bin"], "User": "70", "Cmd": ["postgres"]}))
    assert svc.name == "db" and svc.environment == {"POSTGRES_DB": "app"}
    assert svc.user is None and svc.command is None  # the image's own
    assert svc.image == "postgres:15-alpine" and svc.expose == ["5432/tcp"]
    assert svc.entrypoint is None and not svc.tty and not svc.stdin_open
    assert svc.deploy and svc.deploy.resources and svc.deploy.resources.limits
    assert svc.deploy.resources.limits.memory == 512 << 20
    assert svc.ports and svc.ports[0].published == "15432" and svc.ports[0].target == 5432
    assert svc.tmpfs == ["/tmp:size=64m"] and list(svc.networks or {}) == ["backend"]
    assert [m.type for m in svc.volumes or []] == ["volume", "bind"]
    assert svc.healthcheck and svc.healthcheck.test == ["CMD", "pg_isready"]


def test_a_bare_pod_plays_as_one_replica_with_its_host_paths_bound() -> None:
    from pallet.kube.play import _Data, _sources, as_workload

    pod = {"kind": "Pod", "metadata": {"name": "db-pod", "labels": {"app": "db-pod"}},
           "spec": {"containers": [{"name": "db", "image": "postgres",
                                    "volumeMounts": [{"name": "srv", "mountPath": "/srv",
                                                      "readOnly": True},
                                                     {"name": "odd", "mountPath": "/tmp"}]}],
                    "volumes": [{"name": "srv", "hostPath": {"path": "/srv/data"}},
                                {"name": "odd", "hostPath": {"path": "tmpfs"}}]}}
    w = as_workload(pod)
    assert w["spec"]["replicas"] == 1
    assert w["spec"]["template"]["metadata"]["labels"] == {"app": "db-pod"}
    warn: list[str] = []
    sources = _sources(w, "p", 0, _Data([]), warn)
    assert sources == {"srv": ("bind", "/srv/data")}
    assert warn == ["Pod db-pod: volume odd (hostPath) not honoured"]
    c = w["spec"]["template"]["spec"]["containers"][0]
    body = create_body(c, {}, sources, lambda *_: None, {}, warn, "db")
    assert body["HostConfig"]["Mounts"] == [{"Type": "bind", "Source": "/srv/data",
                                             "Target": "/srv", "ReadOnly": True}]
