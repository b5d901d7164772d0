"""``pallet kube generate`` over the fake engine: a container and a compose project to
manifests, the flags' usage errors, and nothing written when validation fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import Harness
from pallet.kube.convert import Result

PROJECT = Path(__file__).resolve().parents[2] / "compose" / "projects" / "kube"


def test_a_container_becomes_a_deployment(engine: Harness) -> None:
    engine.run("run", "-d", "--name", "web", "-m", "64m", "--read-only", "--cap-drop", "ALL",
               "busybox", "sleep", "9")
    r = engine.run("kube", "generate", "web")
    assert r.exit_code == 0, r.stderr
    (deploy,) = [d for d in yaml.safe_load_all(r.stdout) if d["kind"] == "Deployment"]
    c = deploy["spec"]["template"]["spec"]["containers"][0]
    assert c["args"] == ["sleep", "9"] and c["resources"]["limits"]["memory"] == "64Mi"
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_a_compose_project_to_one_file_per_object(engine: Harness, tmp_path: Path) -> None:
    r = engine.run("kube", "generate", "--compose", "-f", str(PROJECT / "compose.yaml"),
                   "-o", f"{tmp_path}/out/", "--stateful")
    assert r.exit_code == 0, r.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "statefulset-db.yaml" in names and "secret-db-password.yaml" in names
    assert "networkpolicy-network-backend.yaml" in names


def test_usage(engine: Harness) -> None:
    r = engine.run("kube", "generate")
    assert r.exit_code != 0 and "name one or more containers, or --compose" in r.stderr
    r = engine.run("kube", "generate", "--service-type", "Ingress", "--compose")
    assert r.exit_code != 0 and "invalid --service-type 'Ingress'" in r.stderr
    r = engine.run("kube", "generate", "-f", "x.yaml", "web")
    assert r.exit_code != 0 and "-f and -p go with --compose" in r.stderr
    r = engine.run("kube", "generate", "--compose", "-f", str(PROJECT / "compose.yaml"),
                   "-o", "/nonexistent/dir/out.yaml")
    assert r.exit_code == 1 and "cannot write /nonexistent/dir/out.yaml" in r.stderr
    r = engine.run("kube", "generate", "--kube-version", "1.18", "--compose", "-f",
                   str(PROJECT / "compose.yaml"))
    assert r.exit_code != 0 and "--kube-version 1.18: no schemas for it" in r.stderr


def test_invalid_output_is_refused_and_nothing_written(engine: Harness, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
           "spec": {"replicas": "three", "selector": {}, "template": {}}}

    def convert(*_: Any) -> Result:
        return Result([bad], [])

    monkeypatch.setattr("pallet.kube.generate.convert", convert)
    out = tmp_path / "out.yaml"
    r = engine.run("kube", "generate", "--compose", "-f", str(PROJECT / "compose.yaml"),
                   "-o", str(out))
    assert r.exit_code == 1
    assert "not valid for Kubernetes" in r.stderr and "Deployment/x: spec.replicas" in r.stderr
    assert not out.exists()
