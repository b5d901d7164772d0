"""Short syntax to long, units, environment and the project's resources, normalised."""

from __future__ import annotations

from pathlib import Path

import pytest

from pallet.compose.errors import ComposeError
from pallet.compose.model import Mount, Port, Project
from pallet.compose.shortsyntax import parse_ports, parse_volume
from pallet.testing.composefiles import load_in


def one(tmp_path: Path, service: str, env: dict[str, str] | None = None,
        extra: str = "") -> Project:
    text = "services:\n  web:\n    image: img\n" + "".join(
        f"    {line}\n" for line in service.strip().splitlines()) + extra
    return load_in(tmp_path, {"compose.yaml": text}, env=env)


@pytest.mark.parametrize(("spec", "expected"), [
    (80, [{"target": 80}]),
    ("80", [{"target": 80}]),
    ("8080:80", [{"target": 80, "published": "8080"}]),
    ("127.0.0.1:8080:80/udp", [{"target": 80, "published": "8080", "host_ip": "127.0.0.1",
                                "protocol": "udp"}]),
    ("127.0.0.1::80", [{"target": 80, "host_ip": "127.0.0.1"}]),
    ("[::1]:8080:80", [{"target": 80, "published": "8080", "host_ip": "::1"}]),
    ("3000-3001", [{"target": 3000}, {"target": 3001}]),
    ("9000-9001:90-91", [{"target": 90, "published": "9000"},
                         {"target": 91, "published": "9001"}]),
    ("8000-8010:80", [{"target": 80, "published": "8000-8010"}]),
])
def test_port_short_syntax(spec: str | int, expected: list[dict[str, object]]) -> None:
    got = parse_ports(spec)
    assert [{k: v for k, v in p.items() if (k, v) not in (("mode", "ingress"),
                                                           ("protocol", "tcp"))}
            for p in got] == expected


@pytest.mark.parametrize("spec", ["a:80", "80:b", "1-2:3-5", "70000", "1:2:3:4"])
def test_bad_ports(spec: str) -> None:
    with pytest.raises(ComposeError):
        parse_ports(spec)


@pytest.mark.parametrize(("spec", "expected"), [
    ("/data", {"type": "volume", "target": "/data", "volume": {}}),
    ("db:/var/lib/db", {"type": "volume", "source": "db", "target": "/var/lib/db",
                        "volume": {}}),
    ("db:/d:nocopy", {"type": "volume", "source": "db", "target": "/d",
                      "volume": {"nocopy": True}}),
    ("./src:/app:ro", {"type": "bind", "source": "./src", "target": "/app", "read_only": True,
                       "bind": {"create_host_path": True}}),
    ("/etc/x:/x:rw,Z", {"type": "bind", "source": "/etc/x", "target": "/x",
                        "bind": {"create_host_path": True, "selinux": "Z"}}),
    ("~/c:/c:rshared", {"type": "bind", "source": "~/c", "target": "/c",
                        "bind": {"create_host_path": True, "propagation": "rshared"}}),
    ("${SRC}:/x", {"type": "volume", "source": "${SRC}", "target": "/x", "volume": {}}),
])
def test_volume_short_syntax(spec: str, expected: dict[str, object]) -> None:
    assert parse_volume(spec) == expected


def test_volumes_resolve_against_the_project_directory(tmp_path: Path) -> None:
    project = one(tmp_path, "volumes: ['./data:/data:ro', '~/cache:/cache', 'named:/n']",
                  extra="volumes:\n  named:\n")
    mounts = project.services["web"].volumes
    assert mounts == [
        Mount(type="bind", target="/data", source=str(tmp_path / "data"), read_only=True,
              bind=mounts[0].bind if mounts else None),
        Mount(type="bind", target="/cache", source="/home/user/cache",
              bind=mounts[1].bind if mounts else None),
        Mount(type="volume", target="/n", source="named", volume=mounts[2].volume
              if mounts else None),
    ]


def test_ports_in_the_model(tmp_path: Path) -> None:
    ports = one(tmp_path, "ports: ['127.0.0.1:8080:80']").services["web"].ports
    assert ports == [Port(target=80, published="8080", host_ip="127.0.0.1")]


def test_environment_list_map_env_file_and_shell(tmp_path: Path) -> None:
    (tmp_path / "web.env").write_text("FROM_FILE=1\nOVERRIDDEN=file\n")
    project = one(tmp_path, """
environment: [OVERRIDDEN=own, "EMPTY=", FROM_SHELL, NOT_SET, "WITH=eq=sign"]
env_file: [web.env, {path: missing.env, required: false}]
""", env={"FROM_SHELL": "shell"})
    assert project.services["web"].environment == {
        "FROM_FILE": "1", "OVERRIDDEN": "own", "EMPTY": "", "FROM_SHELL": "shell",
        "NOT_SET": None, "WITH": "eq=sign"}


def test_missing_required_env_file_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ComposeError, match=r"env file .*nope.env not found") as err:
        one(tmp_path, "env_file: nope.env")
    assert err.value.where == "compose.yaml:4"


def test_label_files_and_env_file_interpolation(tmp_path: Path) -> None:
    (tmp_path / "a.labels").write_text("team=core\nowner=${team}-lead\ntier=file\n")
    (tmp_path / "svc.env").write_text("URL=http://${HOST}:${PORT}\n")
    web = one(tmp_path, """
label_file: a.labels
labels: {tier: own}
env_file: svc.env
environment: {PORT: "81"}
""", env={"HOST": "db"}).services["web"]
    assert web.labels == {"team": "core", "owner": "core-lead", "tier": "own"}
    assert web.environment == {"URL": "http://db:81", "PORT": "81"}


@pytest.mark.parametrize(("service", "field", "expected"), [
    ("mem_limit: 512m", "mem_limit", 512 << 20),
    ("mem_limit: 1g", "mem_limit", 1 << 30),
    ("mem_limit: 1073741824", "mem_limit", 1 << 30),
    ("shm_size: '64m'", "shm_size", 64 << 20),
    ("stop_grace_period: 1m30s", "stop_grace_period", 90 * 10**9),
    ("stop_grace_period: 1d", "stop_grace_period", 86400 * 10**9),
    ("cpus: '0.5'", "cpus", 0.5),
    ("command: sh -c 'echo \"hi there\"'", "command", ["sh", "-c", 'echo "hi there"']),
    ("entrypoint: [/bin/sh]", "entrypoint", ["/bin/sh"]),
    ("dns: 8.8.8.8", "dns", ["8.8.8.8"]),
    ("tmpfs: /run", "tmpfs", ["/run"]),
    ("extra_hosts: ['db:10.0.0.2', 'v6=::1']", "extra_hosts", ["db=10.0.0.2", "v6=::1"]),
    ("extra_hosts: {db: 10.0.0.2}", "extra_hosts", ["db=10.0.0.2"]),
    ("labels: [a=1, b]", "labels", {"a": "1", "b": ""}),
    ("sysctls: {net.core.somaxconn: 1024}", "sysctls", {"net.core.somaxconn": "1024"}),
    ("expose: [3000, '4000']", "expose", ["3000", "4000"]),
])
def test_service_fields(tmp_path: Path, service: str, field: str, expected: object) -> None:
    assert getattr(one(tmp_path, service).services["web"], field) == expected


def test_healthcheck_deploy_and_ulimits(tmp_path: Path) -> None:
    web = one(tmp_path, """
healthcheck: {test: curl -f localhost, interval: 10s, timeout: 5s, retries: 3, start_period: 1m}
deploy: {replicas: 2, resources: {limits: {cpus: '0.5', memory: 256M}, reservations: {memory: 64m}}}
ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 512}
""").services["web"]
    hc = web.healthcheck
    assert hc and hc.test == ["CMD-SHELL", "curl -f localhost"]
    assert (hc.interval, hc.timeout, hc.retries, hc.start_period) == (
        10 * 10**9, 5 * 10**9, 3, 60 * 10**9)
    limits = web.deploy.resources.limits if web.deploy and web.deploy.resources else None
    assert limits and limits.cpus == 0.5 and limits.memory == 256 << 20
    assert web.replicas() == 2
    assert web.ulimits and web.ulimits["nproc"].single == 512
    assert web.ulimits["nofile"].soft == 1024 and web.ulimits["nofile"].hard == 2048


def test_distinct_mem_limit_and_deploy_limit_fail(tmp_path: Path) -> None:
    with pytest.raises(ComposeError, match="can't set distinct values on 'mem_limit'"):
        one(tmp_path, "mem_limit: 1g\ndeploy: {resources: {limits: {memory: 2g}}}")
    same = one(tmp_path / "same", "mem_limit: 1g\ndeploy: {resources: {limits: {memory: 1g}}}")
    assert same.services["web"].mem_limit == 1 << 30


def test_depends_on_networks_and_resource_names(tmp_path: Path) -> None:
    text = """
name: shop
services:
  web:
    image: web
    depends_on:
      db: {condition: service_healthy, restart: true}
      cache: {condition: service_started, required: false}
    networks:
      front: {aliases: [www]}
      back:
  db:
    image: db
    networks: [back]
    secrets: [pw]
  plain: {image: p}
networks:
  front: {}
  back: {internal: true}
  outside: {external: true}
volumes:
  data: {name: fixed-name}
secrets:
  pw: {file: ./pw.txt}
"""
    project = load_in(tmp_path, {"compose.yaml": text}, all_resources=True)
    web = project.services["web"]
    assert web.depends_on and web.depends_on["db"].condition == "service_healthy"
    assert web.depends_on["db"].restart and web.depends_on["db"].required
    assert not web.depends_on["cache"].required
    assert web.networks and web.networks["front"] and web.networks["front"].aliases == ["www"]
    assert project.services["plain"].networks == {"default": None}
    nets = project.networks or {}
    assert {k: n.name for k, n in nets.items()} == {
        "front": "shop_front", "back": "shop_back", "outside": "outside",
        "default": "shop_default"}
    assert nets["back"].internal and nets["outside"].external
    assert project.volumes and project.volumes["data"].name == "fixed-name"
    secret = project.secrets["pw"] if project.secrets else None
    assert secret and secret.file == str(tmp_path / "pw.txt") and secret.name == "shop_pw"
    refs = project.services["db"].secrets
    assert refs and refs[0].target == "/run/secrets/pw"


@pytest.mark.parametrize(("text", "message", "line"), [
    ("services:\n  web:\n    image: x\n    depends_on: [nope]\n",
     'service "web" depends on undefined service "nope"', 4),
    ("services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n"
     "    depends_on: [a]\n", "dependency cycle detected: a -> b -> a", 4),
    ("services:\n  web:\n    image: x\n    networks: [nope]\n",
     'service "web" refers to undefined network nope', 4),
    ("services:\n  web:\n    image: x\n    volumes: ['data:/d']\n",
     'service "web" refers to undefined volume data', 4),
    ("services:\n  web:\n    image: x\n    secrets: [s]\n",
     'service "web" refers to undefined secret s', 4),
    ("services:\n  web:\n    restart: always\n",
     'service "web" has neither an image nor a build context specified', 2),
    ("services:\n  web:\n    image: ${TAG:?set TAG please}\n",
     "services.web.image: required variable TAG is missing a value: set TAG please", 3),
    ("services:\n  web:\n    image: x\n    ports: ['a:b']\n",
     "services.web.ports: invalid port 'b'", 4),
])
def test_consistency_errors_name_file_and_line(tmp_path: Path, text: str, message: str,
                                               line: int) -> None:
    with pytest.raises(ComposeError) as err:
        load_in(tmp_path, {"compose.yaml": text})
    assert message in err.value.detail
    assert err.value.where == f"compose.yaml:{line}"


def test_build_context_and_image_default(tmp_path: Path) -> None:
    project = one(tmp_path, "build: ./app", extra="")
    build = project.services["web"].build
    assert build and build.context == str(tmp_path / "app")
    assert build.dockerfile == "Dockerfile"
    long = one(tmp_path / "l", "build: {context: ., dockerfile: Dockerfile.dev, "
               "args: [A=1, B, C]}", env={"C": "from-env"})
    b = long.services["web"].build
    assert b and b.context == str(tmp_path / "l") and b.dockerfile == "Dockerfile.dev"
    assert b.args == {"A": "1", "C": "from-env"}


def test_unused_resources_are_left_out_unless_all_resources(tmp_path: Path) -> None:
    text = ("services:\n  web:\n    image: x\n    networks: [used]\n"
            "networks:\n  used:\n  spare:\nvolumes:\n  spare:\n")
    project = load_in(tmp_path, {"compose.yaml": text})
    assert list(project.networks or {}) == ["used"] and project.volumes is None
    everything = load_in(tmp_path, {}, all_resources=True)
    assert sorted(everything.networks or {}) == ["spare", "used"]
    assert list(everything.volumes or {}) == ["spare"]


def test_scale_and_replicas(tmp_path: Path) -> None:
    assert one(tmp_path, "scale: 3").services["web"].replicas() == 3
    with pytest.raises(ComposeError, match="can't set distinct values on 'scale'"):
        one(tmp_path / "b", "scale: 3\ndeploy: {replicas: 2}")


def test_repeats_within_a_file(tmp_path: Path) -> None:
    web = one(tmp_path, "ports: ['80', '80', '81']\nvolumes: ['./a:/x', './b:/x']\n"
                        "cap_add: [NET_ADMIN, NET_ADMIN]").services["web"]
    assert [p.target for p in web.ports or []] == [80, 81]
    assert [m.source for m in web.volumes or []] == [str(tmp_path / "b")]
    assert web.cap_add == ["NET_ADMIN"]


def test_disabled_services_skip_consistency_rules(tmp_path: Path) -> None:
    text = ("services:\n  web: {image: w}\n  off:\n    image: o\n    profiles: [never]\n"
            "    mem_limit: 1g\n    deploy: {resources: {limits: {memory: 2g}}}\n")
    project = load_in(tmp_path, {"compose.yaml": text})
    assert project.service_names() == ["web"] and project.disabled["off"].mem_limit == 1 << 30
    with pytest.raises(ComposeError, match="can't set distinct values"):
        load_in(tmp_path, {}, profiles=("never",))


def test_label_file_is_hashed_with_its_absolute_path_and_never_printed(tmp_path: Path) -> None:
    """Compose v2.40's up hashes its ServiceConfig with label_file still in it (after
    labels, as a list of absolute paths): the container label it wrote for this file is
    the sha256 of exactly this JSON."""
    import hashlib

    from pallet.compose import render
    from pallet.compose.confighash import project_hashes

    project = load_in(tmp_path, {
        "compose.yaml": "services:\n  web:\n    image: busybox\n    labels: [x=y]\n"
                        "    label_file: a.env\n", "a.env": "A=1\n"})
    assert project.services["web"].labels == {"A": "1", "x": "y"}
    assert "label_file" not in render.document(project)["services"]["web"]
    assert '"label_file"' not in render.to_json(project)
    path = str(tmp_path / "a.env")
    go = ('{"command":null,"entrypoint":null,"image":"busybox","labels":{"A":"1","x":"y"},'
          f'"label_file":["{path}"],"networks":{{"default":null}}}}')
    assert project_hashes(project)["web"] == hashlib.sha256(go.encode()).hexdigest()
