"""``pallet kube generate`` and ``pallet kube play`` against a real palletd, on the guide's
web + db + redis stack with its secret, health check, limits, hardening and segmented
networks (tests/compose/projects/kube, on the compose tiers' stand-in images).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compose"))

import compose_projects as cp

pytestmark = [pytest.mark.integration]

PROJECT = cp.PROJECTS / "kube"
PLAY_LABEL = "io.pallet.kube.play"


@pytest.fixture(scope="module")
def pallet(palletd: Any, busybox: str) -> cp.Runner:
    run = cp.pallet_cli(palletd.env, default_timeout=180.0)
    cp.build_standins(run)
    return run


def _by(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def _generate(pallet: cp.Runner, out: Path, *flags: str) -> list[dict[str, Any]]:
    res = pallet("kube", "generate", "--compose", "-f", str(PROJECT / "compose.yaml"),
                 "-o", str(out), *flags)
    assert "service web: depends_on: redis" in res.stderr  # no ordering: said, not dropped
    return [d for d in yaml.safe_load_all(out.read_text()) if d]


def test_generate_the_stack(pallet: cp.Runner, tmp_path: Path) -> None:
    objects = _generate(pallet, tmp_path / "stack.yaml")
    version = kubernetes_validate.latest_version()
    for obj in objects:
        kubernetes_validate.validate(obj, version, strict=True)
    db = _by(objects, "Deployment", "db")["spec"]["template"]
    (c,) = db["spec"]["containers"]
    # the healthcheck: test, interval 2s, timeout 3s, retries 5, start_period 10s
    for probe in ("readinessProbe", "livenessProbe"):
        assert c[probe] == {"exec": {"command": ["pg_isready"]}, "periodSeconds": 2,
                            "timeoutSeconds": 3, "failureThreshold": 5}
    assert c["startupProbe"]["failureThreshold"] * c["startupProbe"]["periodSeconds"] == 20
    assert c["resources"] == {"limits": {"cpu": "500m", "memory": "512Mi"},
                              "requests": {"cpu": "250m", "memory": "256Mi"}}
    ctx = c["securityContext"]
    assert ctx["readOnlyRootFilesystem"] is True and ctx["runAsUser"] == 70
    assert ctx["capabilities"] == {"drop": ["ALL"]}
    assert ctx["allowPrivilegeEscalation"] is False
    assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    volumes = {v["name"]: v for v in db["spec"]["volumes"]}
    secret = volumes[mounts["/run/secrets/db_password"]["name"]]["secret"]["secretName"]
    stored = _by(objects, "Secret", secret)["data"]["db_password"]
    assert stored and cp.SECRET not in json.dumps(objects)  # base64, not in clear
    claim = volumes[mounts["/var/lib/postgresql/data"]["name"]]["persistentVolumeClaim"]
    _by(objects, "PersistentVolumeClaim", claim["claimName"])
    assert volumes[mounts["/tmp"]["name"]]["emptyDir"] == {"medium": "Memory",
                                                           "sizeLimit": "64Mi"}
    # segmentation: every policy selecting db admits only pods that proxy is not
    proxy_labels = _by(objects, "Deployment", "proxy")["spec"]["template"]["metadata"]["labels"]
    db_labels = db["metadata"]["labels"]
    policies = [p for p in objects if p["kind"] == "NetworkPolicy" and all(
        db_labels.get(k) == v for k, v in p["spec"]["podSelector"]["matchLabels"].items())]
    assert policies
    for p in policies:
        for rule in p["spec"]["ingress"]:
            for peer in rule["from"]:
                sel = peer["podSelector"]["matchLabels"]
                assert not all(proxy_labels.get(k) == v for k, v in sel.items())
    # web waits for db's Service (db is service_healthy)
    web = _by(objects, "Deployment", "web")["spec"]["template"]["spec"]
    assert "nc -w 2 db 5432 </dev/null" in web["initContainers"][0]["command"][-1]
    _by(objects, "Service", "db")


def test_generate_refuses_a_bad_flag_and_takes_the_others(pallet: cp.Runner,
                                                          tmp_path: Path) -> None:
    res = pallet("kube", "generate", "--compose", "-f", str(PROJECT / "compose.yaml"),
                 "--service-type", "Ingress", check=False)
    assert res.returncode != 0 and "--service-type" in res.stderr
    out = tmp_path / "objs"
    res = pallet("kube", "generate", "--compose", "-f", str(PROJECT / "compose.yaml"),
                 "-o", f"{out}/", "--stateful", "--service-type", "NodePort",
                 "--registry", "reg.example:5000", "--external-secrets",
                 "--kube-version", "1.30")
    files = sorted(p.name for p in out.iterdir())
    assert "statefulset-db.yaml" in files and "deployment-web.yaml" in files
    assert not any(f.startswith("secret-") for f in files)
    db = yaml.safe_load((out / "statefulset-db.yaml").read_text())
    assert db["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "postgres-data"
    assert db["spec"]["template"]["spec"]["containers"][0]["image"] == \
        "reg.example:5000/postgres:15-alpine"
    web = yaml.safe_load((out / "service-web.yaml").read_text())
    assert web["spec"]["type"] == "NodePort"
    assert res.returncode == 0


def _state(pallet: cp.Runner, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(pallet("inspect", name).stdout)[0]
    return doc


def _labelled(pallet: cp.Runner, play: str) -> list[str]:
    flt = f"label={PLAY_LABEL}={play}"
    return (pallet("ps", "-aq", "--filter", flt).stdout.split()
            + pallet("network", "ls", "-q", "--filter", flt).stdout.split()
            + pallet("volume", "ls", "-q", "--filter", flt).stdout.split())


def test_play_the_generated_stack_and_down(pallet: cp.Runner, tmp_path: Path) -> None:
    out = tmp_path / "kstack.yaml"
    _generate(pallet, out)
    try:
        res = pallet("kube", "play", str(out), timeout=300)
        assert "Play kstack is up" in res.stdout
        again = pallet("kube", "play", str(out), check=False)
        assert again.returncode != 0 and "play kstack is already up" in again.stderr
        # db turns healthy (its health check came back from the probes)
        cp.eventually(lambda: _state(pallet, "kstack-db-0")["State"].get("Health", {}).get(
            "Status") == "healthy", "db healthy", timeout=60)
        db = _state(pallet, "kstack-db-0")
        assert db["HostConfig"]["ReadonlyRootfs"] is True
        assert db["HostConfig"]["Memory"] == 512 * 1024 * 1024
        assert db["Config"]["User"] == "70:70"
        assert pallet("exec", "kstack-db-0", "cat", "/run/secrets/db_password"
                      ).stdout.strip() == cp.SECRET
        # the environment came through web's ConfigMap
        assert "DATABASE_URL=postgres://db:5432/app" in pallet(
            "exec", "kstack-web-0", "env").stdout.splitlines()
        # web answers by its Service's name, to the proxy that shares only frontend with it
        probe = pallet("exec", "kstack-proxy-0", "wget", "-qO-", "http://web:3000/health")
        assert probe.stdout == "ok\n"
        # segmentation: web reaches db by its Service name, proxy does not
        pallet("exec", "kstack-web-0", "sh", "-c", "nc -w 2 db 5432 </dev/null")
        refused = pallet("exec", "kstack-proxy-0", "sh", "-c", "nc -w 2 db 5432 </dev/null",
                         check=False)
        assert refused.returncode != 0
    finally:
        down = pallet("kube", "play", "--down", str(out))
    assert "Removed container kstack-db-0" in down.stdout
    assert _labelled(pallet, "kstack") == []


def test_push_the_stack_images_to_a_registry(pallet: cp.Runner) -> None:
    from urllib.request import urlopen

    from pallet.testing.registry import RegistryServer

    with RegistryServer.serving("none", prefix="pallet-kreg-") as reg:
        res = pallet("kube", "push", "--compose", "-f", str(PROJECT / "compose.yaml"),
                     "--registry", reg.host, timeout=300)
        assert f"Pushing {reg.host}/postgres:15-alpine" in res.stdout
        for repo, tag in (("postgres", "15-alpine"), ("myapp", "1.0.0"), ("redis", "7-alpine"),
                          ("nginx", "alpine")):
            with urlopen(f"http://{reg.host}/v2/{repo}/tags/list", timeout=10) as resp:
                assert tag in json.load(resp)["tags"]
            pallet("rmi", f"{reg.host}/{repo}:{tag}")


FAILING = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: first, labels: {app: first}}
spec: {containers: [{name: c, image: busybox, command: [sleep, "60"]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: second}
spec:
  selector: {matchLabels: {app: second}}
  template:
    metadata: {labels: {app: second}}
    spec:
      initContainers: [{name: setup, image: busybox, command: [sh, -c, "exit 3"]}]
      containers: [{name: c, image: busybox, command: [sleep, "60"],
                    volumeMounts: [{name: d, mountPath: /d}]}]
      volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
"""


def test_a_failing_play_leaves_nothing(pallet: cp.Runner, tmp_path: Path) -> None:
    path = tmp_path / "failing.yaml"
    path.write_text(FAILING)
    res = pallet("kube", "play", str(path), check=False)
    assert res.returncode != 0
    assert "initContainer setup exited with 3; the play is removed" in res.stderr
    assert _labelled(pallet, "failing") == []
