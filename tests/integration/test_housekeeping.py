"""Events with --since/--until/--filter, system df/prune/info, and the engine's own request
latency on /metrics, with the pallet CLI and the docker CLI against a real palletd."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.integration

DOCKER = shutil.which("docker") or "/usr/local/bin/docker"


def ok(d: Any, *args: str) -> str:
    res = d.pallet(*args, timeout=60)
    assert res.returncode == 0, f"pallet {' '.join(args)}: {res.returncode} {res.stderr}"
    return str(res.stdout)


def docker(d: Any, *args: str) -> str:
    res = subprocess.run([DOCKER, *args], env=d.env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, f"docker {' '.join(args)}: {res.returncode} {res.stderr}"
    return res.stdout


@pytest.fixture
def made(palletd: Any, busybox: str) -> Iterator[list[str]]:
    names: list[str] = []
    try:
        yield names
    finally:
        for n in names:
            palletd.request("DELETE", f"/containers/{n}?force=1&v=1")


def test_events_since_until_and_filters_return_at_once(palletd: Any, made: list[str]) -> None:
    n = "hk-" + uuid.uuid4().hex[:8]
    made.append(n)
    t0 = time.time() - 1
    ok(palletd, "run", "--name", n, "busybox", "true")
    until = f"{time.time() + 0.5:.3f}"
    time.sleep(0.6)
    started = time.monotonic()
    out = ok(palletd, "events", "--since", f"{t0:.3f}", "--until", until,
             "--filter", f"container={n}", "--filter", "event=start",
             "--format", "{{.Action}} {{.Actor.Attributes.name}}")
    assert time.monotonic() - started < 5
    assert out.splitlines() == [f"start {n}"]
    out = ok(palletd, "system", "events", "--since", f"{t0:.3f}", "--until", until,
             "--filter", f"container={n}")
    actions = [line.split()[2] for line in out.splitlines()]
    assert actions[0] == "create" and "die" in actions and "start" in actions
    # --until before --since: nothing, at once
    assert ok(palletd, "events", "--since", until, "--until", f"{t0:.3f}") == ""


def test_system_df_matches_docker_shapes(palletd: Any, made: list[str]) -> None:
    n = "hk-" + uuid.uuid4().hex[:8]
    vol = "hkvol-" + uuid.uuid4().hex[:8]
    made.append(n)
    ok(palletd, "run", "-d", "--name", n, "-v", f"{vol}:/data", "busybox", "sh", "-c",
       "head -c 20000 /dev/zero > /data/f; head -c 3000 /dev/zero > /rw; sleep 100")
    try:
        time.sleep(0.5)
        doc = palletd.json("GET", "/system/df")
        assert set(doc) == {"LayersSize", "Images", "Containers", "Volumes", "BuildCache"}
        bb = next(i for i in doc["Images"] if "busybox:latest" in i["RepoTags"])
        assert bb["Containers"] >= 1 and 0 <= bb["SharedSize"] <= bb["Size"]
        assert doc["LayersSize"] >= bb["Size"] > 0
        c = next(c for c in doc["Containers"] if c["Names"] == [f"/{n}"])
        assert 3000 <= c["SizeRw"] < 3000 + 65536  # /rw and the directories it touched
        assert c["SizeRootFs"] == bb["Size"] + c["SizeRw"]
        v = next(v for v in doc["Volumes"] if v["Name"] == vol)
        assert v["UsageData"] == {"RefCount": 1, "Size": 20000}
        assert isinstance(doc["BuildCache"], list)
        only = palletd.json("GET", "/system/df?type=volume")  # dockerd: the rest null
        assert set(only) == set(doc) and only["Images"] is None and only["BuildCache"] is None
        assert any(v["Name"] == vol for v in only["Volumes"])
        status, _ = palletd.request("GET", "/system/df?type=bogus")
        assert status == 400
        table = ok(palletd, "system", "df").splitlines()
        assert table[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
        assert [r.split()[0] for r in table[1:]] == ["Images", "Containers", "Local", "Build"]
        verbose = ok(palletd, "system", "df", "-v")
        assert "Local Volumes space usage:" in verbose and vol in verbose
        theirs = docker(palletd, "system", "df", "-v")
        assert vol in theirs and "Images space usage:" in theirs
        assert docker(palletd, "system", "df").splitlines()[3].startswith("Local Volumes")
    finally:
        palletd.request("DELETE", f"/containers/{n}?force=1")
        palletd.request("DELETE", f"/volumes/{vol}")


def test_system_info_shows_cgroup_runtime_storage_security(palletd: Any) -> None:
    out = ok(palletd, "system", "info")
    for needle in (" Cgroup Version: ", " Default Runtime: crun", " Storage Driver: overlay2",
                   " Security Options:", "  seccomp", "   Profile: builtin"):
        assert needle in out, needle
    opts = json.loads(docker(palletd, "info", "--format", "{{json .SecurityOptions}}"))
    assert "name=seccomp,profile=builtin" in opts


def test_system_prune_all_with_volumes(palletd_factory: Callable[[], Any]) -> None:
    d = palletd_factory()
    d.start()
    d.bootstrap("busybox")
    ok(d, "run", "--name", "stopped-one", "-v", "/anon", "busybox", "true")
    ok(d, "network", "create", "hk-net")
    out = ok(d, "system", "prune", "-a", "--volumes", "-f")
    assert "Deleted Containers:" in out and "Deleted Networks:\nhk-net" in out
    assert "Deleted Volumes:" in out and "untagged: busybox:latest" in out
    assert out.splitlines()[-1].startswith("Total reclaimed space: ")
    assert d.json("GET", "/containers/json?all=1") == []
    assert d.json("GET", "/images/json") == []
    assert d.json("GET", "/volumes")["Volumes"] == []
    assert docker(d, "system", "prune", "-f").strip().endswith("Total reclaimed space: 0B")


def test_metrics_have_request_latency_per_route(palletd_factory: Callable[[], Any]) -> None:
    d = palletd_factory()
    os.makedirs(d.root, exist_ok=True)
    (d.root / "daemon.json").write_text(json.dumps({"metrics": True}))
    d.start()
    d.request("GET", "/v1.44/containers/json")
    d.request("GET", "/v1.44/containers/json")
    status, _ = d.request("GET", "/containers/nosuch/json")
    assert status == 404
    status, raw = d.request("GET", "/metrics")
    assert status == 200
    text = raw.decode()
    name = "pallet_http_request_duration_seconds"
    assert f"# TYPE {name} histogram" in text
    assert f'{name}_count{{code="200",method="GET",route="/containers/json"}} 2.0' in text
    assert f'{name}_count{{code="404",method="GET",route="/containers/{{id}}/json"}} 1.0' in text
    assert f'{name}_bucket{{code="200",le="+Inf",method="GET",route="/containers/json"}} 2.0' \
        in text
