"""pallet compose's flags: conflicting or malformed ones fail before anything reaches
the engine, with the flag named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import invoke


@pytest.fixture
def compose_file(tmp_path: Path) -> str:
    path = tmp_path / "compose.yaml"
    path.write_text("services:\n  web:\n    image: busybox\n")
    return str(path)


@pytest.mark.parametrize(("args", "message"), [
    (["up", "--force-recreate", "--no-recreate"], "incompatible"),
    (["up", "--build", "--no-build"], "incompatible"),
    (["up", "-d", "--abort-on-container-exit"], "incompatible"),
    (["up", "--scale", "web"], "SERVICE=NUM"),
    (["up", "--scale", "web=x"], "SERVICE=NUM"),
    (["down", "--rmi", "some"], '"local" or "all"'),
    (["ps", "--status", "sleeping"], "invalid status: sleeping"),
    (["ps", "--filter", "name=web"], "unsupported filter: name"),
])
def test_bad_flags_fail_first(compose_file: str, args: list[str], message: str) -> None:
    r = invoke(["-H", "unix:///nonexistent/pallet.sock", "compose", "-f", compose_file, *args])
    assert r.exit_code != 0
    assert message in r.stderr
    assert "Cannot connect" not in r.stderr  # the engine was never asked


def test_a_service_the_project_lacks_is_named(compose_file: str) -> None:
    r = invoke(["-H", "unix:///nonexistent/pallet.sock", "compose", "-f", compose_file,
                "logs", "nope"])
    assert r.exit_code == 1 and "no such service: nope" in r.stderr


@pytest.mark.parametrize(("index", "message"), [
    (0, 'service "web" is not running'),
    (2, 'service "web" is not running container #2'),
])
def test_a_service_without_a_running_container_is_worded_as_compose_v2(
        index: int, message: str) -> None:
    from pallet.cli.commands.compose.interactive import not_running

    err = not_running("web", index)
    assert (err.code, err.message) == (1, message)


@pytest.mark.parametrize("args", [
    ["--nosuch", "ps"],
    ["ps", "--nosuch"],
    ["up", "--timeout", "x"],
    ["logs", "--tail"],
    ["up", "--build", "--no-build"],
])
def test_a_flag_error_is_its_message_alone_and_exit_1_as_compose_v2(
        compose_file: str, args: list[str]) -> None:
    r = invoke(["-H", "unix:///nonexistent/pallet.sock", "compose", "-f", compose_file, *args])
    assert r.exit_code == 1
    assert len(r.stderr.splitlines()) == 1 and "Usage:" not in r.stderr, r.stderr


def test_docker_commands_keep_dockers_flag_errors() -> None:
    r = invoke(["-H", "unix:///nonexistent/pallet.sock", "ps", "--nosuch"])
    assert r.exit_code == 125 and "Usage:" in r.stderr


def test_with_progress_json_a_failure_is_a_json_object(tmp_path: Path) -> None:
    missing = str(tmp_path / "none.yaml")
    r = invoke(["-H", "unix:///nonexistent/pallet.sock", "compose", "--progress", "json",
                "-f", missing, "ps"])
    assert r.exit_code == 1
    assert json.loads(r.stderr) == {"error": True, "message": f"open {missing}: no such file "
                                    "or directory"}
    # the next invocation without it prints the message as it is
    r = invoke(["-H", "unix:///nonexistent/pallet.sock", "compose", "--progress", "plain",
                "-f", missing, "ps"])
    assert (r.exit_code, r.stderr) == (1, f"open {missing}: no such file or directory\n")
