"""``pallet check`` and the lint routes against a real palletd: the guide's hardened
``docker run`` lines pass every security item, a bare ``pallet run -d busybox sleep 1000``
fails the limits, user and capability items; ``pallet build --check`` lints first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pallet.client import Client
from pallet.lint.model import LintRequest
from pallet.testing.cli_session import CliSession

pytestmark = pytest.mark.integration

# the guide's "Security options for docker run" and its Production Readiness Checklist
HARDENED = {
    "security-options": ["--read-only", "--tmpfs", "/tmp:rw,noexec,nosuid,size=64m",
                         "--memory=512m", "--memory-swap=512m", "--cpus=1.0", "--user=10001",
                         "--cap-drop=ALL", "--security-opt=no-new-privileges"],
    "readiness-checklist": ["--read-only", "--user=10001", "--cap-drop=ALL", "--memory=512m",
                            "--security-opt=no-new-privileges"],
}


@pytest.fixture
def p(palletd: Any, busybox: str) -> Iterator[CliSession]:
    helper = CliSession(palletd, "check")
    try:
        yield helper
    finally:
        helper.cleanup()


def _check(p: CliSession, *args: str) -> tuple[int, dict[str, Any]]:
    res = p.d.pallet("check", "--format", "json", *args)
    assert res.stdout, res.stderr
    return res.returncode, json.loads(res.stdout)


@pytest.mark.parametrize("line", sorted(HARDENED))
def test_hardened_run_line_passes_every_security_item(p: CliSession, line: str) -> None:
    name = p.run_d(*HARDENED[line], "busybox", "sleep", "1000")
    _, doc = _check(p, name)
    (report,) = doc["reports"]
    security = {i["id"]: i["status"] for i in report["items"] if i["id"].startswith("security.")}
    assert len(security) == 9
    assert set(security.values()) == {"pass"}, security
    status = {i["id"]: i["status"] for i in report["items"]}
    assert status["limits.memory"] == "pass"


def test_bare_busybox_fails_limits_user_and_capabilities(p: CliSession) -> None:
    name = p.run_d("busybox", "sleep", "1000")
    code, doc = _check(p, name)
    assert code == 1 and doc["failed"] is True
    status = {i["id"]: i["status"] for i in doc["reports"][0]["items"]}
    assert status["limits.memory"] == "fail"
    assert status["security.user"] == "fail"
    assert status["security.cap-drop"] == "fail"
    text = p.d.pallet("check", name)
    assert text.returncode == 1
    assert "FAIL  limits.memory" in text.stdout
    assert f"pallet update --memory 512m --memory-swap 512m {name}" in text.stdout
    # palletd answers the same checklist for CI that only has the socket
    served = p.d.json("GET", f"/pallet/containers/{name}/check")
    assert served == doc["reports"][0]


def test_check_an_image_and_a_compose_project(p: CliSession) -> None:
    code, doc = _check(p, "busybox")
    status = {i["id"]: i["status"] for i in doc["reports"][0]["items"]}
    assert doc["reports"][0]["kind"] == "image"
    assert code == 1 and status["image.user"] == "fail"
    name = p.run_d("--label", "com.docker.compose.project=chk",
                   "--label", "com.docker.compose.service=web", "busybox", "sleep", "1000")
    code, doc = _check(p, "--compose", "chk")
    assert code == 1 and [r["target"] for r in doc["reports"]] == [f"{name} (service web)"]
    res = p.d.pallet("check", "--compose", "nothere")
    assert res.returncode == 1 and "no containers of Compose project 'nothere'" in res.stderr


def test_lint_route_through_the_client(palletd: Any) -> None:
    client = Client.from_host(palletd.host)
    report = client.pallet.lint(LintRequest(dockerfile="FROM node:latest\nUSER 1000\n",
                                            ignore=["PL113", "PL115"]))
    assert [(f.rule, f.line) for f in report.findings] == [("PL102", 1)]
    assert report.failed


def test_build_check_lints_then_builds(p: CliSession, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        'FROM busybox\nLABEL version="1.0.0" maintainer="a@example.com"\nUSER 10001\n'
        "HEALTHCHECK CMD true\n"
        'CMD ["sleep", "1"]\n')
    res = p.d.pallet("build", "--check", "-t", "checked:1", str(tmp_path))
    assert res.returncode == 1 and "PL101" in res.stderr and "not building" in res.stderr
    (tmp_path / ".pallet-lint.yaml").write_text("ignore: [PL101]\n")
    res = p.d.pallet("build", "--check", "-q", "-t", "checked:1", str(tmp_path))
    try:
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip().startswith("sha256:")
    finally:
        p.d.request("DELETE", "/images/checked:1")


def test_image_check_includes_the_scan_when_a_database_exists(p: CliSession,
                                                              tmp_path: Path) -> None:
    from pallet.testing.scan_images import osv_record, osv_zip

    _, doc = _check(p, "busybox")
    assert "image.vulnerabilities" not in {i["id"] for i in doc["reports"][0]["items"]}
    records = tmp_path / "Alpine.zip"
    records.write_bytes(osv_zip([osv_record("PALLET-2026-9", "Alpine:v3.19", "musl", "1.2")]))
    db = Path(p.d.root) / "scan" / "osv.sqlite"
    try:
        assert p.d.pallet("scan", "db", "import", str(records)).returncode == 0
        _, doc = _check(p, "busybox")
        status = {i["id"]: i["status"] for i in doc["reports"][0]["items"]}
        assert status["image.vulnerabilities"] == "pass"  # busybox has no packages to match
    finally:
        for f in db.parent.glob("osv.sqlite*"):
            f.unlink()


def test_check_the_guides_hardened_compose_project(palletd: Any, busybox: str) -> None:
    """tests/compose/projects/hardened (the guide's compose security options on web, its
    limits on worker) up with pallet compose: web passes every security item and its
    limits; worker, which has no security options, fails the capability and read-only items
    (its user is the image's USER 1001, a pass)."""
    import shutil
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compose"))
    import compose_projects as cp

    exe = str(shutil.which("pallet"))
    engine = cp.pallet_cli(palletd.env)

    cp.build_standins(engine)
    compose = cp.Compose([exe, "compose"], "hardened", palletd.env, "chkhard")
    with cp.up(compose):
        res = engine("check", "--compose", "chkhard", "--format", "json", check=False)
        assert res.returncode == 1, res.stderr
        reports = {r["target"].rpartition("service ")[2].rstrip(")"): r
                   for r in json.loads(res.stdout)["reports"]}
        web = {i["id"]: i["status"] for i in reports["web"]["items"]}
        worker = {i["id"]: i for i in reports["worker"]["items"]}
        assert {k: v for k, v in web.items() if k.startswith("security.") and v != "pass"} == {}
        assert web["limits.memory"] == web["limits.cpu"] == "pass"
        assert worker["limits.memory"]["status"] == "pass"  # deploy.resources.limits
        assert worker["security.user"]["status"] == "pass"
        assert worker["security.read-only"]["status"] == "fail"
        assert worker["security.cap-drop"]["fix"] == "service worker: cap_drop: [ALL] " \
            "(cap_add: only what it needs)"
