"""Override files, ``extends`` and ``include``: the compose spec's merge rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from pallet.compose.errors import ComposeError
from pallet.compose.merge import merge
from pallet.compose.yamlsrc import Override, Reset
from pallet.testing.composefiles import load_in

S = ("services", "web")


@pytest.mark.parametrize(("path", "base", "over", "expected"), [
    ((), {"a": 1, "b": {"c": 1}}, {"b": {"d": 2}, "e": 3}, {"a": 1, "b": {"c": 1, "d": 2}, "e": 3}),
    ((*S, "dns"), ["1.1.1.1"], ["8.8.8.8", "1.1.1.1"], ["1.1.1.1", "8.8.8.8"]),
    ((*S, "command"), ["echo", "a"], ["echo", "b"], ["echo", "b"]),
    ((*S, "entrypoint"), ["sh"], ["bash", "-c"], ["bash", "-c"]),
    ((*S, "healthcheck"), {"test": ["CMD", "a"], "retries": 3}, {"test": ["CMD", "b"]},
     {"test": ["CMD", "b"], "retries": 3}),
    ((*S, "environment"), {"B": "2", "A": "1"}, {"B": "3", "C": None}, ["A=1", "B=3", "C"]),
    ((*S, "labels"), ["b=1", "a"], {"b": "2", "c": True}, ["a", "b=2", "c=true"]),
    ((*S, "volumes"), [{"type": "volume", "source": "foo", "target": "/work"}],
     [{"type": "volume", "source": "bar", "target": "/work"}],
     [{"type": "volume", "source": "bar", "target": "/work"}]),
    ((*S, "ports"), [{"target": 80, "published": "8080", "protocol": "tcp"}],
     [{"target": 80, "published": "8080", "protocol": "tcp", "mode": "host"},
      {"target": 443, "protocol": "tcp"}],
     [{"target": 80, "published": "8080", "protocol": "tcp", "mode": "host"},
      {"target": 443, "protocol": "tcp"}]),
    ((*S, "secrets"), [{"source": "a", "target": "/run/secrets/a"}],
     [{"source": "b", "target": "/run/secrets/a", "mode": 0o400}],
     [{"source": "b", "target": "/run/secrets/a", "mode": 0o400}]),
    ((*S, "logging"), {"driver": "json-file", "options": {"max-size": "1m"}},
     {"driver": "syslog"}, {"driver": "syslog"}),
    ((*S, "logging"), {"driver": "json-file", "options": {"max-size": "1m"}},
     {"options": {"max-file": "2"}},
     {"driver": "json-file", "options": {"max-size": "1m", "max-file": "2"}}),
    ((*S,), {"image": "a", "ports": [{"target": 1}]}, {"ports": Reset()}, {"image": "a"}),
    ((*S,), {"ports": [{"target": 1}]}, {"ports": Override([{"target": 2}])},
     {"ports": [{"target": 2}]}),
    ((*S,), {"image": "a"}, {"image": None}, {"image": "a"}),
    ((*S, "ulimits"), {"nofile": {"soft": 1, "hard": 2}}, {"nofile": {"single": 10}},
     {"nofile": {"single": 10}}),
    ((*S, "ulimits"), {"nofile": {"soft": 1, "hard": 2}}, {"nofile": {"hard": 3}},
     {"nofile": {"soft": 1, "hard": 3}}),
])
def test_merge_rules(path: tuple[str, ...], base: object, over: object,
                     expected: object) -> None:
    assert merge(base, over, path) == expected


def test_an_override_build_keeps_the_base_dockerfile(tmp_path: Path) -> None:
    files = {"compose.yaml": "services:\n  web:\n    build: {context: ., dockerfile: D}\n",
             "compose.override.yaml": "services:\n  web:\n    build: ./other\n"}
    build = load_in(tmp_path, files).services["web"].build
    assert build and (build.context, build.dockerfile) == (str(tmp_path / "other"), "D")


def test_merge_changes_neither_side() -> None:
    base = {"services": {"web": {"dns": ["a"]}}}
    over = {"services": {"web": {"dns": ["b"]}}}
    merge(base, over)
    assert base == {"services": {"web": {"dns": ["a"]}}}
    assert over == {"services": {"web": {"dns": ["b"]}}}


def test_override_files_merge_in_order(tmp_path: Path) -> None:
    files = {
        "compose.yaml": """
            services:
              web:
                image: web:1
                command: echo base
                ports: ["8080:80"]
                environment: [A=1, B=2]
                labels: {one: "1"}
            """,
        "override.yaml": """
            services:
              web:
                image: web:2
                command: ["echo", "over"]
                ports: ["8080:80", "9090:90"]
                environment: {B: "3"}
                labels: [two=2]
              extra: {image: extra}
            """,
        "reset.yaml": """
            services:
              web:
                labels: !reset {}
            """,
    }
    project = load_in(tmp_path, files, files=("compose.yaml", "override.yaml", "reset.yaml"))
    web = project.services["web"]
    assert web.image == "web:2" and web.command == ["echo", "over"]
    assert [(p.target, p.published) for p in web.ports or []] == [(80, "8080"), (90, "9090")]
    assert web.environment == {"A": "1", "B": "3"}
    assert web.labels is None
    assert project.service_names() == ["extra", "web"]


def test_extends_in_the_same_file_and_from_another(tmp_path: Path) -> None:
    files = {
        "compose.yaml": """
            services:
              base:
                image: base
                environment: {LEVEL: base, KEEP: "1"}
                volumes: [./data:/data]
              web:
                extends: base
                environment: {LEVEL: web}
              remote:
                extends: {file: lib/common.yaml, service: common}
                command: run
            """,
        "lib/common.yaml": """
            services:
              common:
                image: common
                command: ignored
                volumes: [./cache:/cache]
                env_file: common.env
            """,
        "lib/common.env": "FROM_FILE=yes\n",
    }
    project = load_in(tmp_path, files)
    web, remote = project.services["web"], project.services["remote"]
    assert web.image == "base" and web.environment == {"LEVEL": "web", "KEEP": "1"}
    assert web.volumes and web.volumes[0].source == str(tmp_path / "data")
    assert remote.image == "common" and remote.command == ["run"]
    assert remote.volumes and remote.volumes[0].source == str(tmp_path / "lib" / "cache")
    assert remote.environment == {"FROM_FILE": "yes"}


def test_extends_cycle_and_unknown_base(tmp_path: Path) -> None:
    cycle = "services:\n  a: {image: x, extends: b}\n  b: {image: x, extends: a}\n"
    with pytest.raises(ComposeError, match="circular reference with extends"):
        load_in(tmp_path / "c", {"compose.yaml": cycle})
    unknown = "services:\n  a:\n    image: x\n    extends: nope\n"
    with pytest.raises(ComposeError,
                       match=r'cannot extend service "a" in .*: service "nope" not found') as err:
        load_in(tmp_path / "u", {"compose.yaml": unknown})
    assert err.value.where == "compose.yaml:4"


def test_include_brings_services_with_their_own_directory_and_env(tmp_path: Path) -> None:
    files = {
        "compose.yaml": """
            include:
              - sub/compose.yaml
            services:
              web:
                image: web
                depends_on: [db]
            """,
        "sub/compose.yaml": """
            services:
              db:
                image: "db:${DB_TAG}"
                volumes: [./init:/init, dbdata:/var/lib/db]
            volumes:
              dbdata: {}
            """,
        "sub/.env": "DB_TAG=16\n",
    }
    project = load_in(tmp_path, files)
    db = project.services["db"]
    assert db.image == "db:16"
    assert db.volumes and db.volumes[0].source == str(tmp_path / "sub" / "init")
    assert db.volumes[1].source == "dbdata"
    assert project.volumes and project.volumes["dbdata"].name == f"{project.name}_dbdata"


def test_include_parent_environment_wins_and_conflicts_fail(tmp_path: Path) -> None:
    files = {"compose.yaml": "include: [sub/compose.yaml]\nservices:\n  web: {image: web}\n",
             "sub/compose.yaml": "services:\n  db: {image: 'db:${DB_TAG}'}\n",
             "sub/.env": "DB_TAG=16\n"}
    project = load_in(tmp_path, files, env={"DB_TAG": "17"})
    assert project.services["db"].image == "db:17"
    clash = {"compose.yaml": "include: [sub/compose.yaml]\nservices:\n  db: {image: other}\n",
             "sub/compose.yaml": "services:\n  db: {image: db}\n"}
    with pytest.raises(ComposeError, match="defines conflicting service db"):
        load_in(tmp_path / "clash", clash)


def test_include_cycle(tmp_path: Path) -> None:
    files = {"compose.yaml": "include: [a.yaml]\nservices:\n  web: {image: web}\n",
             "a.yaml": "include: [compose.yaml]\nservices:\n  a: {image: a}\n"}
    with pytest.raises(ComposeError, match="include cycle detected"):
        load_in(tmp_path, files)
