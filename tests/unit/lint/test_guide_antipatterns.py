"""The guide's anti-patterns ("Common Pitfalls / Anti-Patterns", the checklists), written
out in ``guide/``: each names its rule at the line the guide's snippet puts it on, and the
guide's "Better" version of each raises none of that rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from pallet.compose.options import ProjectOptions
from pallet.composelint.rules import lint_project, load
from pallet.lint.dockerfile import lint_dockerfile
from pallet.lint.model import Finding

GUIDE = Path(__file__).parent / "guide"


def lint(name: str, dockerignore: str | None = None) -> list[Finding]:
    path = GUIDE / name
    if name.endswith(".yaml"):
        project, marks = load(ProjectOptions(files=(str(path),), environ={}, cwd=str(GUIDE)))
        return lint_project(project, marks, str(GUIDE))[0]
    return lint_dockerfile(path.read_text(), name, dockerignore)


# (anti-pattern file, the rule it must raise, the lines it is raised at, the "Better" file)
CASES = [
    ("multistage.bad.Dockerfile", "PL110", [5, 6], "multistage.good.Dockerfile"),
    ("cleanup.bad.Dockerfile", "PL105", [3], "cleanup.good.Dockerfile"),
    ("copy.bad.Dockerfile", "PL111", [4], "copy.good.Dockerfile"),
    ("root.bad.yaml", "PL210", [5], "root.good.yaml"),
    ("limits.bad.yaml", "PL205", [3], "limits.good.yaml"),
    ("health.bad.yaml", "PL206", [3], "health.good.yaml"),
    ("debugport.bad.yaml", "PL202", [7], "debugport.good.yaml"),
    ("networks.bad.yaml", "PL204", [3, 5], "networks.good.yaml"),
    ("networks.bad.yaml", "PL203", [8], "networks.good.yaml"),
    ("envsecret.bad.yaml", "PL207", [6], "envsecret.good.yaml"),
]


@pytest.mark.parametrize(("bad", "rule", "lines", "good"), CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_anti_pattern_raises_its_rule_and_better_does_not(
        bad: str, rule: str, lines: list[int], good: str) -> None:
    hits = [f for f in lint(bad) if f.rule == rule]
    assert sorted(f.line for f in hits) == lines
    assert all(f.file.endswith(bad) for f in hits)
    assert [f for f in lint(good) if f.rule == rule] == []


def test_places_have_columns_of_the_key_or_item() -> None:
    (debug,) = [f for f in lint("debugport.bad.yaml") if f.rule == "PL202"]
    assert (debug.line, debug.col) == (7, 7)  # the "- " of the 9229 item
    (root,) = [f for f in lint("root.bad.yaml") if f.rule == "PL210"]
    assert (root.line, root.col) == (5, 5)


def test_production_dockerfile_of_the_guide_raises_no_warning() -> None:
    found = lint("production.Dockerfile", ".git\nnode_modules\n")
    assert [f.rule for f in found if f.severity in ("error", "warning")] == []
    assert {f.rule for f in found} <= {"PL107", "PL121", "PL122", "PL125"}  # notes only


def test_hardening_dockerfile_passes_with_a_dockerignore() -> None:
    found = {f.rule for f in lint("hardening.Dockerfile", ".git\nnode_modules\n")}
    assert not found & {"PL101", "PL102", "PL103", "PL104", "PL111"}
    (copy,) = [f for f in lint("hardening.Dockerfile", ".git\n") if f.rule == "PL111"]
    assert copy.message.endswith("(.dockerignore does not exclude node_modules)")
    (bare,) = [f for f in lint("hardening.Dockerfile") if f.rule == "PL111"]
    assert bare.message.endswith("(no .dockerignore excluding .git and node_modules)")


def test_hardened_compose_service_raises_no_security_rule() -> None:
    found = {f.rule for f in lint("hardened.yaml")}
    assert not found & {"PL201", "PL205", "PL207", "PL208", "PL209", "PL210"}


def test_latest_untagged_and_privileged_services() -> None:
    found = [(f.rule, f.line) for f in lint("latest.bad.yaml")]
    assert ("PL201", 3) in found and ("PL201", 6) in found
    assert ("PL208", 7) in found


def test_cache_mounts_keep_caches_out_of_the_layer() -> None:
    text = ("FROM debian:12.5\n"
            "RUN --mount=type=cache,target=/var/lib/apt --mount=type=cache,target=/root/.npm "
            "apt-get update && apt-get install -y --no-install-recommends nodejs=18 "
            "&& npm ci --omit=dev\n"
            "RUN --mount=type=cache,target=/root/.cache/pip pip install flask==3.0.0\n")
    found = {f.rule for f in lint_dockerfile(text, "Dockerfile")}
    assert not found & {"PL105", "PL107"}
    assert "PL105" in {f.rule for f in lint_dockerfile(text.replace("--mount=type=cache,"
                                                                    "target=/var/lib/apt ", ""))}


def test_ports_on_loopback_are_not_internet_facing(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"

    def rules(port: str) -> set[str]:
        path.write_text(f"services:\n  db:\n    image: postgres:15\n    ports:\n"
                        f"      - \"{port}\"\n")
        project, marks = load(ProjectOptions(files=(str(path),), environ={},
                                             cwd=str(tmp_path)))
        return {f.rule for f in lint_project(project, marks, str(tmp_path))[0]}

    assert {"PL203", "PL209"} <= rules("5432:5432")
    assert not rules("127.0.0.1:5432:5432") & {"PL203", "PL209"}
