"""``pallet compose config`` and ``version`` end to end through the CLI (no daemon)."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
import yaml

from pallet.cli.app import main

COMPOSE = """\
name: Guide_App
services:
  web:
    image: "nginx:${TAG:-alpine}"
    ports: ["8080:80"]
    depends_on:
      db: {condition: service_healthy}
    environment: [MODE=prod]
    networks: [front, back]
  db:
    image: postgres:16
    volumes: [db_data:/var/lib/postgresql/data]
    healthcheck: {test: pg_isready, interval: 5s}
    networks: [back]
    secrets: [db_password]
  debug:
    image: busybox
    profiles: [dev]
networks:
  front: {}
  back: {internal: true}
volumes:
  db_data: {}
secrets:
  db_password: {file: ./db_password.txt}
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["compose", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TAG", raising=False)
    for var in ("COMPOSE_FILE", "COMPOSE_PROJECT_NAME", "COMPOSE_PROFILES"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_config_prints_the_normalised_project(project: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "config")
    assert code == 0
    doc = yaml.safe_load(out)
    assert doc["name"] == "guide_app" and list(doc["services"]) == ["db", "web"]
    web = doc["services"]["web"]
    assert web["image"] == "nginx:alpine"
    assert web["ports"] == [{"mode": "ingress", "target": 80, "published": "8080",
                             "protocol": "tcp"}]
    assert web["depends_on"] == {"db": {"condition": "service_healthy", "required": True}}
    assert web["environment"] == {"MODE": "prod"}
    assert doc["services"]["db"]["healthcheck"]["interval"] == "5s"
    assert doc["networks"]["back"] == {"name": "guide_app_back", "internal": True}
    assert doc["secrets"]["db_password"]["file"] == str(project / "db_password.txt")
    assert '"8080"' in out  # quoted as Compose v2 quotes numeric strings


def test_config_json_and_listings(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "config", "--format", "json")
    assert code == 0 and json.loads(out)["services"]["web"]["networks"] == {
        "back": None, "front": None}
    assert run(capsys, "config", "--services")[1] == "db\nweb\n"
    assert run(capsys, "--profile", "dev", "config", "--services")[1] == "db\ndebug\nweb\n"
    assert run(capsys, "config", "--volumes")[1] == "db_data\n"
    assert run(capsys, "config", "--profiles")[1] == "dev\n"
    assert run(capsys, "config", "--images")[1] == "postgres:16\nnginx:alpine\n"
    assert run(capsys, "config", "--quiet") == (0, "", "")


def test_config_global_flags(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "other.env").write_text("TAG=1.27\n")
    code, out, _ = run(capsys, "-p", "custom", "--env-file", "other.env", "config")
    doc = yaml.safe_load(out)
    assert code == 0 and doc["name"] == "custom"
    assert doc["services"]["web"]["image"] == "nginx:1.27"
    assert doc["networks"]["front"]["name"] == "custom_front"


def test_config_no_interpolate_keeps_variables(project: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "config", "--no-interpolate")
    assert code == 0 and "nginx:${TAG:-alpine}" in out


def test_config_output_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "config", "-o", "out.yaml")
    assert code == 0 and out == ""
    assert yaml.safe_load((project / "out.yaml").read_text())["name"] == "guide_app"


def test_invalid_file_exits_1_naming_the_key_and_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "compose.yaml").write_text(textwrap.dedent("""\
        services:
          web:
            imagee: busybox
        """))
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "config", "--quiet")
    assert code == 1 and out == ""
    assert err == ("compose.yaml:3: services.web.imagee: additional property 'imagee' "
                   "not allowed\n")


def test_missing_required_variable_exits_1(project: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    (project / "compose.yaml").write_text("services:\n  web:\n    image: ${IMG:?IMG unset}\n")
    code, _, err = run(capsys, "config")
    assert code == 1
    assert err == ("compose.yaml:3: services.web.image: required variable IMG is missing a "
                   "value: IMG unset\n")


def test_file_flag_and_stdin(project: Path, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("services:\n  s: {image: from-stdin}\n"))
    code, out, _ = run(capsys, "-f", "-", "config", "--images")
    assert (code, out) == (0, "from-stdin\n")
    code, _, err = run(capsys, "-f", "missing.yaml", "config")
    assert code == 1 and "missing.yaml: no such file or directory" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "version")
    assert code == 0 and out.startswith("pallet compose version v")
    assert run(capsys, "version", "--short")[1].strip()[0].isdigit()


def test_warnings_for_unset_variables_and_version(project: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (project / "compose.yaml").write_text(
        'version: "3.8"\nservices:\n  web:\n    image: "x:${NOPE}${NOPE}$$LITERAL"\n')
    code, out, err = run(capsys, "config", "--images")
    assert (code, out) == (0, "x:$LITERAL\n")
    # stderr is no terminal here: logrus's key=value form, as Compose v2 writes it there
    stamp = r'time="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)" level=warning '
    lines = err.splitlines()
    assert len(lines) == 2 and all(re.match(stamp, line) for line in lines), lines
    assert [line.partition(" level=warning ")[2] for line in lines] == [
        r'msg="The \"NOPE\" variable is not set. Defaulting to a blank string."',
        f'msg="{project / "compose.yaml"}: the attribute `version` is obsolete, it '
        'will be ignored, please remove it to avoid potential confusion"']


def test_a_warning_on_a_terminal_is_logrus_coloured_form() -> None:
    import io

    from pallet.compose.logline import warning

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    line = warning("short", Tty())  # [NNNN]: seconds since the process started
    assert re.fullmatch(r"\x1b\[33mWARN\x1b\[0m\[\d{4}\] short {40}", line), repr(line)
    assert warning("a/b.c", io.StringIO(), now=0).endswith(" level=warning msg=a/b.c")


def test_unsupported_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "config", "--format", "toml") == (1, "", 'unsupported format "toml"\n')


def test_config_of_named_services_includes_their_dependencies(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "config", "web")
    doc = yaml.safe_load(out)
    assert code == 0 and sorted(doc["services"]) == ["db", "web"]
    code, out, _ = run(capsys, "config", "db")
    doc = yaml.safe_load(out)
    assert list(doc["services"]) == ["db"] and list(doc["networks"]) == ["back"]
    assert run(capsys, "config", "debug", "--services")[1] == "db\ndebug\nweb\n"
    assert run(capsys, "config", "nope")[0:2] == (1, "")


def test_empty_listing_prints_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web: {image: x}\n")
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "config", "--volumes") == (0, "", "")


def test_a_progress_value_compose_v2_refuses_fails_before_the_command(
        project: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(capsys, "--progress", "bogus", "config", "--services")
    assert (code, out) == (1, "") and 'unsupported --progress value "bogus"' in err
    monkeypatch.setenv("COMPOSE_PROGRESS", "fancy")  # the variable is read as the flag
    code, _, err = run(capsys, "config", "--services")
    assert code == 1 and 'unsupported --progress value "fancy"' in err
    for mode in ("auto", "tty", "plain", "json", "quiet"):
        monkeypatch.setenv("COMPOSE_PROGRESS", mode)
        assert run(capsys, "config", "--services")[:2] == (0, "db\nweb\n")


def test_progress_json_writes_failures_as_json(project: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (project / "compose.yaml").write_text("services:\n  web:\n    imagee: busybox\n")
    code, out, err = run(capsys, "--progress", "json", "config")
    assert (code, out) == (1, "")
    doc = json.loads(err)
    assert doc["error"] is True and "imagee" in doc["message"]
    code, _, err = run(capsys, "config")  # the next invocation prints plain lines again
    assert code == 1 and not err.startswith("{")
