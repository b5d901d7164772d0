"""``pallet check`` over the fake engine: container, image, compose project, usage errors."""

from __future__ import annotations

import json

from conftest import Harness


def test_container_text_and_json(engine: Harness) -> None:
    engine.run("run", "-d", "--name", "web", "busybox", "sleep", "9")
    r = engine.run("check", "web")
    assert r.exit_code == 1
    assert r.stdout.startswith("container web: FAIL\n")
    assert "  FAIL  limits.memory" in r.stdout
    assert "fix: pallet update --memory 512m --memory-swap 512m web" in r.stdout
    doc = json.loads(engine.run("check", "--format", "json", "web").stdout)
    assert doc["failed"] is True and doc["reports"][0]["kind"] == "container"


def test_image_when_no_container_has_the_name(engine: Harness) -> None:
    doc = json.loads(engine.run("check", "--format", "json", "busybox").stdout)
    (report,) = doc["reports"]
    assert report["kind"] == "image" and report["target"] == "busybox"
    status = {i["id"]: i["status"] for i in report["items"]}
    assert status["image.tag"] == "fail"  # busybox, i.e. latest
    r = engine.run("check", "ghost")
    assert r.exit_code == 1 and "No such container or image: ghost" in r.stderr


def test_usage(engine: Harness) -> None:
    r = engine.run("check")
    assert r.exit_code == 1 and "requires exactly one of" in r.stderr
    r = engine.run("check", "--compose", "p", "web")
    assert r.exit_code == 1 and "requires exactly one of" in r.stderr
    r = engine.run("check", "--format", "yaml", "web")
    assert r.exit_code != 0 and "invalid --format 'yaml'" in r.stderr
    r = engine.run("check", "--compose", "nothere")
    assert r.exit_code == 1 and "no containers of Compose project 'nothere'" in r.stderr
