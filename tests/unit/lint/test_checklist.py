"""The readiness checklist over inspect documents (dockerd's shape, as palletd answers)."""

from __future__ import annotations

from typing import Any

from pallet.lint.checklist import check_container, check_image, render_text


def _status(report: Any) -> dict[str, str]:
    return {i.id: i.status for i in report.items}


HARDENED: dict[str, Any] = {
    "Id": "c" * 64, "Name": "/web",
    "Config": {"User": "10001", "Env": ["PATH=/bin", "DATABASE_PASSWORD_FILE=/run/secrets/db"],
               "Healthcheck": {"Test": ["CMD", "true"]}},
    "HostConfig": {"Memory": 536870912, "NanoCpus": 1_000_000_000, "ReadonlyRootfs": True,
                   "CapDrop": ["ALL"], "SecurityOpt": ["no-new-privileges"],
                   "NetworkMode": "app", "RestartPolicy": {"Name": "unless-stopped"},
                   "LogConfig": {"Type": "json-file", "Config": {"max-size": "10m"}}},
    "Mounts": [{"Source": "/srv/data", "Destination": "/data"}],
    "State": {"Running": True, "Health": {"Status": "healthy"}},
}


def test_hardened_container_passes_everything() -> None:
    report = check_container(HARDENED)
    assert report.target == "web" and not report.failed
    assert set(_status(report).values()) == {"pass"}


def test_each_weakness_is_named_with_its_fix() -> None:
    doc: dict[str, Any] = {
        "Id": "d" * 64, "Name": "/api",
        "Config": {"User": "root", "Env": ["API_KEY=abc"]},
        "HostConfig": {"Privileged": True, "NetworkMode": "host",
                       "SecurityOpt": ["seccomp=unconfined"],
                       "LogConfig": {"Type": "json-file", "Config": {}}},
        "Mounts": [{"Source": "/var/run/docker.sock", "Destination": "/var/run/docker.sock"}],
    }
    report = check_container(doc)
    s = _status(report)
    assert report.failed
    for item in ("limits.memory", "security.read-only", "security.user", "security.cap-drop",
                 "security.no-new-privileges", "security.seccomp", "security.privileged",
                 "security.host-namespaces", "security.engine-socket", "security.env-secrets"):
        assert s[item] == "fail", item
    for item in ("limits.cpu", "resilience.restart", "health.check", "logging.rotation"):
        assert s[item] == "warn", item
    text = render_text([report])
    assert "container api: FAIL" in text
    assert "fix: pallet update --memory 512m --memory-swap 512m api" in text


def test_health_status_grades() -> None:
    doc = {**HARDENED, "State": {"Running": True, "Health": {"Status": "unhealthy"}}}
    assert _status(check_container(doc))["health.status"] == "fail"
    doc = {**HARDENED, "State": {"Running": True, "Health": {"Status": "starting"}}}
    (starting,) = [i for i in check_container(doc).items if i.id == "health.status"]
    assert (starting.status, starting.detail) == ("warn", "starting")
    assert starting.fix == "pallet inspect --format '{{json .State.Health}}' web"
    doc = {**HARDENED, "State": {"Running": False}}
    (stopped,) = [i for i in check_container(doc).items if i.id == "health.status"]
    assert (stopped.status, stopped.fix) == ("warn", "pallet start web")


def test_image_items() -> None:
    doc = {"Id": "sha256:" + "e" * 64, "RepoTags": ["app:latest"], "Size": 900 * 2**20,
           "Config": {"Cmd": ["/bin/sh", "-c", "node server.js"], "Env": ["TOKEN=x"]},
           "RootFS": {"Layers": ["sha256:x"] * 40}}
    s = _status(check_image(doc))
    assert s == {"image.tag": "fail", "image.user": "fail", "image.healthcheck": "warn",
                 "image.exec-form": "fail", "image.labels": "warn", "image.size": "warn",
                 "image.layers": "warn", "image.env-secrets": "fail"}
    good = {"RepoTags": ["app:1.0.0"], "Size": 50 * 2**20, "RootFS": {"Layers": ["a"]},
            "Config": {"User": "10001", "Cmd": ["node", "server.js"],
                       "Healthcheck": {"Test": ["CMD", "true"]},
                       "Labels": {"version": "1.0.0"}}}
    assert not check_image(good, "app:1.0.0").failed


def test_a_compose_service_is_told_its_compose_keys() -> None:
    doc = {"Id": "f" * 64, "Name": "/proj-web-1",
           "Config": {"Labels": {"com.docker.compose.service": "web"}}}
    fixes = {i.id: i.fix for i in check_container(doc).items if i.status != "pass"}
    assert fixes["security.read-only"].startswith("service web: read_only: true")
    assert fixes["security.user"] == 'service web: user: "10001"'
    assert "logging: {driver: json-file" in fixes["logging.rotation"]
    assert fixes["limits.memory"].startswith("service web: deploy.resources.limits.memory")


def test_image_tag_as_the_engine_reads_the_reference() -> None:
    doc = {"Id": "sha256:" + "f" * 64, "RepoTags": ["busybox:latest", "myapp:1.0.0"]}
    by_id = check_image(doc, "ffffffffffff")
    assert by_id.target == "ffffffffffff" and _status(by_id)["image.tag"] == "pass"
    (bare,) = [i for i in check_image(doc, "busybox").items if i.id == "image.tag"]
    assert (bare.status, bare.detail) == ("fail", "busybox:latest is latest")
    dangling = check_image({"Id": "sha256:" + "f" * 64}, "ffffffffffff")
    assert _status(dangling)["image.tag"] == "fail"
