"""The converter, table-tested: each compose project (the guide's fixtures and the cases
here) against its golden manifests and warnings in ``golden/``, every object valid for
the newest Kubernetes the schemas package ships. ``KUBE_GOLDEN=update`` rewrites them."""

from __future__ import annotations

import os
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from pallet.compose.loader import load
from pallet.compose.model import Healthcheck
from pallet.compose.options import ProjectOptions
from pallet.kube.convert import Inputs, Options, convert
from pallet.kube.emit import dump
from pallet.kube.gather import file_contents
from pallet.kube.podspec import ImageFacts

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
PROJECTS = HERE.parents[1] / "compose" / "projects"
S = 1_000_000_000
# the stand-in images' EXPOSE and HEALTHCHECK (tests/compose/images)
IMAGES = {
    "postgres:15-alpine": ImageFacts(((5432, "tcp"),), Healthcheck(
        test=["CMD", "pg_isready"], interval=S, timeout=3 * S, retries=30)),
    "redis:7-alpine": ImageFacts(((6379, "tcp"),)),
    "nginx:alpine": ImageFacts(((80, "tcp"),)),
    "myapp:1.0.0": ImageFacts(((3000, "tcp"),), Healthcheck(
        test=["CMD-SHELL", "wget -q --spider http://localhost:3000/health || exit 1"],
        interval=S, timeout=3 * S, retries=3, start_period=5 * S)),
}
CASES = {
    "kube": (PROJECTS / "kube" / "compose.yaml", Options()),
    "kube-stateful": (PROJECTS / "kube" / "compose.yaml", Options(
        stateful=True, service_type="NodePort", registry="reg.example:5000",
        external_secrets=True)),
    "stack": (PROJECTS / "stack" / "compose.yaml", Options(service_type="LoadBalancer")),
    "hardened": (PROJECTS / "hardened" / "compose.yaml", Options()),
    "networks": (PROJECTS / "networks" / "compose.yaml", Options()),
    "healthy": (PROJECTS / "healthy" / "compose.yaml", Options()),
    "volumes": (PROJECTS / "volumes" / "compose.yaml", Options()),
    "hostish": (HERE / "cases" / "hostish.yaml", Options()),
}


def _render(name: str) -> tuple[list[dict[str, object]], str]:
    path, opts = CASES[name]
    project = load(ProjectOptions(files=(str(path),), project_name=name,
                                  environ={"WEB_PORT": "8080"}))
    result = convert(project, Inputs(images=IMAGES, files=file_contents(project)), opts)
    text = "# warnings:\n" + "".join(f"#   {w}\n" for w in result.warnings) + dump(
        result.objects)
    # host paths name the checkout: the golden files hold them relative to it
    return result.objects, text.replace(str(REPO) + "/", "<repo>/")


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str) -> None:
    objects, text = _render(name)
    golden = HERE / "golden" / f"{name}.yaml"
    if os.environ.get("KUBE_GOLDEN") == "update":
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text()
    assert list(yaml.safe_load_all(text)) == objects
    version = kubernetes_validate.latest_version()
    for obj in objects:
        kubernetes_validate.validate(obj, version, strict=True)


def test_what_has_no_form_is_named_by_service_and_key() -> None:
    objects, text = _render("hostish")
    warnings = text.split("\n---")[0]
    for needle in ("service agent: network_mode:", "service agent: devices:",
                   "service agent: volumes: bind mount /var/run:/host/run",
                   "service agent: ulimits:", "security_opt: 'apparmor=unconfined'",
                   "service agent: user: 'nobody' is a name", "service agent: restart: no",
                   "service worker: depends_on: agent (service_completed_successfully)",
                   "service worker: 3 replicas share the ReadWriteOnce claim(s) cache",
                   "service agent: memswap_limit:", "service worker: pull_policy: build",
                   "service worker: configs: settings uid/gid"):
        assert needle in warnings, needle
    agent = next(o for o in objects if o["kind"] == "Deployment"
                 and o["metadata"]["name"] == "agent")["spec"]
    assert agent["strategy"] == {"type": "Recreate"}  # its ReadWriteOnce claim
    assert agent["template"]["metadata"]["annotations"] == {"com.example.role": "agent"}
    assert agent["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"
