"""Operating containers with a real palletd: restart policies (and a Compose project's
dependency order after a reboot), health checks, resource limits, hardening flags, stats,
update and log rotation (root, crun, conmon, cgroups)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pallet.testing.cli_session import CliSession

pytestmark = pytest.mark.integration

CGROUP = Path("/sys/fs/cgroup")


def wait_for(cond: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


P = CliSession


@pytest.fixture
def p(palletd: Any, busybox: str) -> Iterator[P]:
    helper = CliSession(palletd, "ops")
    try:
        yield helper
    finally:
        helper.cleanup()


# -- restart policies ---------------------------------------------------------------
def test_on_failure_restarts_twice_then_stays_exited(p: P) -> None:
    n = p.run_d("--restart", "on-failure:2", "busybox", "sh", "-c", "sleep 0.2; exit 3")
    wait_for(lambda: p.inspect(n)["RestartCount"] == 2
             and p.inspect(n)["State"]["Status"] == "exited", what="two restarts")
    time.sleep(1.0)
    doc = p.inspect(n)
    assert (doc["State"]["Status"], doc["RestartCount"], doc["State"]["ExitCode"]) == (
        "exited", 2, 3)


def test_always_restarts_after_exit_but_not_after_stop(p: P) -> None:
    n = p.run_d("--restart", "always", "busybox", "sleep", "1000")
    pid = p.inspect(n)["State"]["Pid"]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: p.inspect(n)["RestartCount"] == 1
             and p.inspect(n)["State"]["Running"], what="restart")
    assert p.inspect(n)["State"]["Pid"] != pid
    p.ok("stop", "-t", "0", n)
    time.sleep(0.5)
    doc = p.inspect(n)
    assert doc["State"]["Status"] == "exited" and doc["RestartCount"] == 1


def test_policies_after_daemon_kill_and_reboot(palletd_factory: Callable[[], Any]) -> None:
    d = palletd_factory()
    d.start()
    d.bootstrap("busybox")
    p = P(d)
    always = p.run_d("--restart", "always", "busybox", "sleep", "1000")
    unless = p.run_d("--restart", "unless-stopped", "busybox", "sleep", "1000")
    stopped = p.run_d("--restart", "unless-stopped", "busybox", "sleep", "1000")
    stopped_always = p.run_d("--restart", "always", "busybox", "sleep", "1000")
    plain = p.run_d("busybox", "sleep", "1000")
    p.ok("stop", "-t", "0", stopped, stopped_always)
    d.kill(signal.SIGKILL)
    d.start()  # palletd killed and restarted: containers kept running under conmon
    for n in (always, unless, plain):
        assert p.inspect(n)["State"]["Running"], n
    d.crash_host()
    d.start()  # as after a reboot
    running = {n: p.inspect(n)["State"]["Running"] for n in
               (always, unless, stopped, stopped_always, plain)}

    def settled() -> bool:
        running.update({n: p.inspect(n)["State"]["Running"] for n in running})
        return running[always] and running[unless] and running[stopped_always]

    try:
        wait_for(settled, what="policies applied on daemon start")
    except AssertionError:
        states = {n: (p.inspect(n)["State"]["Status"], p.inspect(n)["RestartCount"])
                  for n in running}
        raise AssertionError(f"{states}\n{d.log_tail(60)}") from None
    assert running == {always: True, unless: True, stopped: False, stopped_always: True,
                       plain: False}
    # two kills and a "reboot" later, nothing of the network is left once all is removed
    from pallet.network.config import net_config

    assert d.remove_all_containers() == []
    d.stop()
    assert sorted(os.listdir(d.run / "netns")) == []
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert f" {net_config(Path(d.run)).bridge_name}:" not in links


def started(doc: dict[str, Any]) -> dt.datetime:
    head, _, frac = str(doc["State"]["StartedAt"]).rstrip("Z").partition(".")
    return dt.datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}")


def compose_labels(service: str, depends: str = "") -> list[str]:
    labels = {"com.docker.compose.project": "boot", "com.docker.compose.service": service,
              "com.docker.compose.depends_on": depends}
    return [a for k, v in labels.items() for a in ("--label", f"{k}={v}")]


def test_reboot_brings_a_project_back_in_dependency_order(
        palletd_factory: Callable[[], Any]) -> None:
    d = palletd_factory()
    d.start()
    d.bootstrap("busybox")
    p = P(d)
    # web is created first, so creation order alone would start it first
    web = p.run_d("--restart", "always", *compose_labels("web", "db:service_healthy:false"),
                  "busybox", "sleep", "1000")
    cache = p.run_d("--restart", "unless-stopped", *compose_labels("cache"),
                    "busybox", "sleep", "1000")
    db = p.run_d("--restart", "always", *compose_labels("db"),
                 "--health-cmd", "test -f /tmp/ready", "--health-interval", "200ms",
                 "--health-retries", "100", "busybox", "sh", "-c",
                 "rm -f /tmp/ready; sleep 2; touch /tmp/ready; exec sleep 1000")
    d.crash_host()
    d.start()  # as after a reboot: the records are there, the processes are not
    try:
        wait_for(lambda: all(p.inspect(n)["State"]["Running"] for n in (web, db, cache)),
                 what="the project back up")
    except AssertionError:
        raise AssertionError(d.log_tail(40)) from None
    web_doc, db_doc = p.inspect(web), p.inspect(db)
    assert db_doc["State"]["Health"]["Status"] == "healthy"
    # db cannot be healthy before its 2 s; web waited for that, cache did not wait at all
    assert (started(web_doc) - started(db_doc)).total_seconds() >= 2.0
    assert (started(p.inspect(cache)) - started(db_doc)).total_seconds() < 2.0
    assert d.remove_all_containers() == []


# -- health checks ------------------------------------------------------------------
def test_on_unhealthy_restarts_a_container_whose_check_keeps_failing(p: P) -> None:
    n = p.run_d("--restart", "on-unhealthy", "--health-cmd", "test -f /tmp/ok",
                "--health-interval", "200ms", "--health-retries", "2", "busybox", "sleep",
                "1000")
    wait_for(lambda: p.inspect(n)["RestartCount"] >= 2, what="two restarts")
    doc = p.inspect(n)
    assert doc["HostConfig"]["RestartPolicy"]["Name"] == "on-unhealthy"
    assert doc["State"]["Status"] in ("running", "restarting")
    # a healthy container under the same policy is left alone
    ok = p.run_d("--restart", "on-unhealthy", "--health-cmd", "true",
                 "--health-interval", "200ms", "--health-retries", "2", "busybox", "sleep",
                 "1000")
    wait_for(lambda: p.inspect(ok)["State"]["Health"]["Status"] == "healthy", what="healthy")
    time.sleep(1.0)
    assert p.inspect(ok)["RestartCount"] == 0
    listing = p.ok("ps", "-a", "--filter", f"name={n}", "--format", "{{.Names}} {{.Status}}")
    assert n in listing


def test_health_starting_healthy_unhealthy(p: P, palletd: Any) -> None:
    since = time.time() - 1
    # the start period keeps a slow machine's late first look at "starting" (failures in
    # it do not count); the file goes after it
    n = p.run_d("--health-cmd", "cat /tmp/ok", "--health-interval", "200ms",
                "--health-retries", "1", "--health-start-period", "2s",
                "--health-start-interval", "200ms", "busybox", "sh", "-c",
                "sleep 0.6; echo fine > /tmp/ok; sleep 3; rm /tmp/ok; sleep 100")
    assert p.inspect(n)["State"]["Health"]["Status"] == "starting"
    assert "(health: starting)" in p.ok("ps", "--filter", f"name={n}")
    wait_for(lambda: p.inspect(n)["State"]["Health"]["Status"] == "healthy", what="healthy")
    assert "(healthy)" in p.ok("ps", "--filter", f"name={n}")
    health = p.inspect(n)["State"]["Health"]
    assert health["Log"][-1]["ExitCode"] == 0 and health["Log"][-1]["Output"] == "fine\n"
    wait_for(lambda: p.inspect(n)["State"]["Health"]["Status"] == "unhealthy", what="unhealthy")
    assert "(unhealthy)" in p.ok("ps", "--filter", f"name={n}")
    health = p.inspect(n)["State"]["Health"]
    assert health["FailingStreak"] >= 1 and len(health["Log"]) <= 5
    assert health["Log"][-1]["ExitCode"] == 1
    q = urllib.parse.urlencode({"since": f"{since:.3f}", "until": f"{time.time():.3f}",
                                "filters": json.dumps({"container": [n]})})
    status, raw = palletd.request("GET", f"/events?{q}")
    assert status == 200
    actions = [json.loads(x)["Action"] for x in raw.decode().splitlines() if x.strip()]
    assert "health_status: healthy" in actions and "health_status: unhealthy" in actions


# -- resources --------------------------------------------------------------------------
def test_oom_kill_gives_137_and_oomkilled(p: P) -> None:
    n = p.name()
    res = p.d.pallet("run", "--name", n, "-m", "32m", "busybox", "sh", "-c",
                     "exec dd if=/dev/zero of=/dev/null bs=64M count=1")
    assert res.returncode == 137
    state = p.inspect(n)["State"]
    assert state["OOMKilled"] is True and state["ExitCode"] == 137


def test_pids_limit_refuses_forks(p: P) -> None:
    n = p.name()
    res = p.d.pallet("run", "--name", n, "--pids-limit", "8", "busybox", "sh", "-c",
                     "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 3 & done; wait")
    assert "can't fork" in res.stderr + res.stdout


def test_cpu_and_memory_limits_in_the_cgroup_and_update(p: P) -> None:
    n = p.run_d("--cpus", "0.5", "-m", "64m", "--cpu-shares", "512", "busybox", "sleep", "100")
    cid = p.inspect(n)["Id"]
    cpu = CGROUP / "cpu" / "pallet" / cid
    mem = CGROUP / "memory" / "pallet" / cid
    assert (cpu / "cpu.cfs_quota_us").read_text().strip() == "50000"
    assert (cpu / "cpu.shares").read_text().strip() == "512"
    assert int((mem / "memory.limit_in_bytes").read_text()) == 64 << 20
    assert p.ok("update", "--cpus", "0.25", "-m", "128m", "--pids-limit", "30",
                "--restart", "on-failure:2", n).strip() == n
    assert (cpu / "cpu.cfs_quota_us").read_text().strip() == "25000"
    assert int((mem / "memory.limit_in_bytes").read_text()) == 128 << 20
    assert (CGROUP / "pids" / "pallet" / cid / "pids.max").read_text().strip() == "30"
    hc = p.inspect(n)["HostConfig"]
    assert (hc["NanoCpus"], hc["Memory"], hc["PidsLimit"]) == (250_000_000, 128 << 20, 30)
    assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}


# -- hardening ----------------------------------------------------------------------------
def test_hardened_run_line_each_setting_proven_inside(p: P) -> None:
    n = p.name()
    script = (
        "id -u; id -g; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; "
        "touch /rootfile 2>&1 || echo ro-ok; "
        "echo data > /tmp/f && cat /tmp/f; "
        "cp /bin/busybox /tmp/bb && /tmp/bb true 2>&1 || echo noexec-ok; "
        "grep ' /tmp ' /proc/mounts; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null"
    )
    out = p.ok("run", "--name", n, "--read-only", "--tmpfs", "/tmp:rw,noexec,nosuid,size=64m",
               "--memory", "256m", "--cpus", "1", "--user", "10001:10001", "--cap-drop", "ALL",
               "--security-opt", "no-new-privileges", "busybox", "sh", "-c", script)
    lines = out.splitlines()
    assert lines[0:2] == ["10001", "10001"]
    assert "CapEff:\t0000000000000000" in out and "CapBnd:\t0000000000000000" in out
    assert "NoNewPrivs:\t1" in out
    assert "ro-ok" in out and "Read-only file system" in out
    assert "data" in lines and "noexec-ok" in out
    tmp_line = next(x for x in lines if " /tmp " in x)
    assert "noexec" in tmp_line and "nosuid" in tmp_line and "size=65536k" in tmp_line
    hc = p.inspect(n)["HostConfig"]
    assert hc["ReadonlyRootfs"] is True and hc["CapDrop"] == ["ALL"]
    assert hc["SecurityOpt"] == ["no-new-privileges"] and hc["Memory"] == 256 << 20
    assert hc["NanoCpus"] == 10**9 and p.inspect(n)["Config"]["User"] == "10001:10001"


def test_cap_add_after_drop_all(p: P) -> None:
    n = p.name()
    out = p.ok("run", "--name", n, "--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE",
               "busybox", "grep", "CapEff", "/proc/self/status")
    assert out.split()[-1] == f"{1 << 10:016x}"  # CAP_NET_BIND_SERVICE is bit 10


# -- stats ------------------------------------------------------------------------------------
def test_stats_shape_and_cli(p: P, palletd: Any) -> None:
    n = p.run_d("-m", "64m", "busybox", "sh", "-c", "while :; do :; done")
    t0 = time.monotonic()
    doc = palletd.json("GET", f"/containers/{n}/stats?stream=0")
    assert time.monotonic() - t0 >= 0.9  # dockerd samples twice, a second apart
    cpu, pre = doc["cpu_stats"], doc["precpu_stats"]
    delta = cpu["cpu_usage"]["total_usage"] - pre["cpu_usage"]["total_usage"]
    system = cpu["system_cpu_usage"] - pre["system_cpu_usage"]
    assert delta > 0 and system > 0 and cpu["online_cpus"] >= 1
    # a busy loop shows up as CPU use (a share of one CPU that survives a loaded machine)
    assert delta / system * cpu["online_cpus"] > 0.2
    assert doc["memory_stats"]["usage"] > 0 and doc["memory_stats"]["limit"] == 64 << 20
    assert "total_inactive_file" in doc["memory_stats"]["stats"]
    assert doc["pids_stats"]["current"] >= 1 and doc["name"] == f"/{n}"
    assert doc["blkio_stats"]["io_service_bytes_recursive"] is not None
    one = palletd.json("GET", f"/containers/{n}/stats?stream=0&one-shot=1")
    assert one["preread"].startswith("0001-")
    out = p.ok("stats", "--no-stream", "--format", "{{.Name}} {{.CPUPerc}} {{.MemUsage}}", n)
    got_name, cpu_pct, usage = out.split(" ", 2)
    assert got_name == n and float(cpu_pct.rstrip("%")) > 20.0
    assert usage.strip().endswith("/ 64MiB") and not usage.startswith("0B")


def test_blkio_is_accounted(p: P, palletd: Any) -> None:
    n = p.run_d("busybox", "sh", "-c",
                "dd if=/dev/zero of=/f bs=1M count=8 oflag=direct 2>/dev/null; sleep 100")
    time.sleep(1.0)
    doc = palletd.json("GET", f"/containers/{n}/stats?stream=0&one-shot=1")
    written = sum(e["value"] for e in doc["blkio_stats"]["io_service_bytes_recursive"] or []
                  if e["op"].lower() == "write")
    assert written >= 8 << 20


# -- logs -----------------------------------------------------------------------------------------
def test_log_rotation_keeps_max_file_and_logs_shows_tail(p: P) -> None:
    n = p.name()
    p.ok("run", "--name", n, "--log-opt", "max-size=1k", "--log-opt", "max-file=3", "busybox",
         "sh", "-c", "i=0; while [ $i -lt 400 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxx; "
         "i=$((i+1)); [ $((i % 20)) = 0 ] && sleep 0.05; done; echo last-line")
    doc = p.inspect(n)
    assert doc["HostConfig"]["LogConfig"] == {"Type": "json-file",
                                              "Config": {"max-size": "1k", "max-file": "3"}}
    log = Path(doc["LogPath"])
    files = sorted(log.parent.glob("ctr.log*"))
    assert 1 <= len(files) <= 3, files
    # rotation follows the writer by polling (engine/logwatch): a file may pass max-size by
    # what the writer adds before the poller's next look, more on a loaded machine, but
    # never by conmon's cap; max-file is exact
    assert sum(f.stat().st_size for f in files) < 3 * (1024 + 1024)
    tail = p.ok("logs", "--tail", "3", n).splitlines()
    assert tail == ["line-398-xxxxxxxxxxxxxxxxxxxx", "line-399-xxxxxxxxxxxxxxxxxxxx",
                    "last-line"]


def test_chatty_container_log_stays_bounded(p: P) -> None:
    n = p.name()
    t0 = time.monotonic()
    p.ok("run", "--name", n, "--log-opt", "max-size=1m", "--log-opt", "max-file=3", "busybox",
         "sh", "-c", "yes 0123456789012345678901234567890123456789 | head -c 50000000; "
                     "echo; echo the-end", timeout=120)
    took = time.monotonic() - t0
    log = Path(p.inspect(n)["LogPath"])
    files = sorted(log.parent.glob("ctr.log*"))
    total = sum(f.stat().st_size for f in files)
    print(f"50 MB of output in {took:.1f}s: {len(files)} files, {total} bytes on disk")
    assert len(files) <= 3 and total <= 3 * (1 << 20) * 1.15
    assert p.ok("logs", "--tail", "1", n).strip() == "the-end"


def test_log_driver_none_keeps_nothing(p: P) -> None:
    n = p.name()
    p.ok("run", "--name", n, "--log-driver", "none", "busybox", "echo", "hidden")
    log = Path(p.inspect(n)["LogPath"])
    assert log.is_symlink() and p.ok("logs", n) == ""
