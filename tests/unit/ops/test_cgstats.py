"""Cgroup files (a fake sysfs tree) -> samples -> Docker's stats document."""

from __future__ import annotations

from pathlib import Path

import msgspec

from pallet.api.models import ContainerConfig, HostConfig
from pallet.api.view_stats import ContainerStats
from pallet.cli.commands.ops import stats_row, stats_values
from pallet.engine.lifecycle import State
from pallet.engine.records import Container
from pallet.engine.stats import Snapshot, cpu_percent, stats_doc
from pallet.runtime.cgstats import enable_blkio_accounting, net_dev, read_v1, read_v2

CG = "/pallet/abc"


def _wire(doc: ContainerStats) -> ContainerStats:
    """The daemon's document as the client decodes it off the wire."""
    return msgspec.json.decode(msgspec.json.encode(doc), type=ContainerStats)


def _write(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


def v1_tree(root: Path, usage_ns: int) -> None:
    _write(root, "cpuacct/pallet/abc/cpuacct.usage", f"{usage_ns}\n")
    _write(root, "cpuacct/pallet/abc/cpuacct.usage_percpu", "100 200 \n")
    _write(root, "cpuacct/pallet/abc/cpuacct.stat", "user 3\nsystem 1\n")
    _write(root, "cpu/pallet/abc/cpu.stat", "nr_periods 10\nnr_throttled 4\nthrottled_time 99\n")
    _write(root, "memory/pallet/abc/memory.usage_in_bytes", "10000000\n")
    _write(root, "memory/pallet/abc/memory.max_usage_in_bytes", "12000000\n")
    _write(root, "memory/pallet/abc/memory.limit_in_bytes", "9223372036854771712\n")
    _write(root, "memory/pallet/abc/memory.failcnt", "0\n")
    _write(root, "memory/pallet/abc/memory.stat", "cache 5\nrss 6\ntotal_inactive_file 4000000\n")
    _write(root, "pids/pallet/abc/pids.current", "3\n")
    _write(root, "pids/pallet/abc/pids.max", "max\n")
    _write(root, "blkio/pallet/abc/blkio.throttle.io_service_bytes_recursive",
           "254:0 Read 4096\n254:0 Write 8192\n254:0 Total 12288\nTotal 12288\n")


def _container() -> Container:
    return Container(id="abc" * 21 + "d", name="web", image_id="sha256:x", created="",
                     config=ContainerConfig(), host_config=HostConfig(), status=State.RUNNING)


def test_v1_sample(tmp_path: Path) -> None:
    v1_tree(tmp_path, 5_000_000)
    s = read_v1(CG, tmp_path)
    assert s.cpu_total_ns == 5_000_000 and s.cpu_percpu_ns == [100, 200]
    assert s.cpu_user_ns > 0 and s.throttled_periods == 4
    assert s.memory_limit == 0  # "no limit"
    assert s.memory_stat["total_inactive_file"] == 4_000_000
    assert s.pids_current == 3 and s.pids_limit == 0
    assert [(e.op, e.value) for e in s.blkio_bytes] == [("Read", 4096), ("Write", 8192),
                                                        ("Total", 12288)]


def test_missing_cgroup_reads_as_zeros(tmp_path: Path) -> None:
    s = read_v1("/pallet/gone", tmp_path)
    assert s.cpu_total_ns == 0 and s.memory_usage == 0 and s.blkio_bytes == []


def test_v2_sample(tmp_path: Path) -> None:
    _write(tmp_path, "pallet/abc/cpu.stat", "usage_usec 2000\nuser_usec 1500\nsystem_usec 500\n")
    _write(tmp_path, "pallet/abc/memory.current", "777\n")
    _write(tmp_path, "pallet/abc/memory.max", "max\n")
    _write(tmp_path, "pallet/abc/memory.stat", "inactive_file 7\n")
    _write(tmp_path, "pallet/abc/memory.events", "low 0\nhigh 0\nmax 5\noom 3\noom_kill 2\n")
    _write(tmp_path, "pallet/abc/pids.current", "2\n")
    _write(tmp_path, "pallet/abc/io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2\n")
    s = read_v2(CG, tmp_path)
    assert s.cpu_total_ns == 2_000_000 and s.memory_usage == 777 and s.memory_limit == 0
    assert s.memory_failcnt == 3 and s.oom_kills == 2
    assert [(e.op, e.value) for e in s.blkio_bytes] == [("read", 10), ("write", 20)]


def test_doc_shape_and_cli_numbers(tmp_path: Path) -> None:
    v1_tree(tmp_path, 1_000_000_000)
    pre = Snapshot(read_v1(CG, tmp_path), system_ns=10_000_000_000, cpus=2)
    v1_tree(tmp_path, 1_500_000_000)
    cur = Snapshot(read_v1(CG, tmp_path), system_ns=12_000_000_000, cpus=2,
                   networks={"eth0": {"rx_bytes": 1000, "tx_bytes": 500}})
    doc = stats_doc(_container(), cur, pre, host_memory=1 << 30)
    wire = msgspec.json.decode(msgspec.json.encode(doc))
    assert list(wire) == ["read", "preread", "pids_stats", "blkio_stats", "num_procs",
                          "storage_stats", "cpu_stats", "precpu_stats", "memory_stats", "name",
                          "id", "networks"]
    assert wire["name"] == "/web" and wire["memory_stats"]["limit"] == 1 << 30
    assert wire["networks"]["eth0"]["rx_bytes"] == 1000 and wire["storage_stats"] == {}
    assert set(wire["cpu_stats"]) == {"cpu_usage", "system_cpu_usage", "online_cpus",
                                      "throttling_data"}
    # 0.5 s of CPU in 2 s of all-CPU time on 2 CPUs: 50 %
    assert cpu_percent(doc) == 50.0
    v = stats_values(_wire(doc))
    assert v["cpu"] == 50.0 and v["mem"] == 6_000_000 and v["pids"] == 3
    assert (v["rx"], v["tx"], v["blk_r"], v["blk_w"]) == (1000, 500, 4096, 8192)
    row = stats_row("web", _wire(doc))
    assert row["CPUPerc"] == "50.00%" and row["MemUsage"] == "5.722MiB / 1GiB"
    assert row["NetIO"] == "1kB / 500B" and row["BlockIO"] == "4.1kB / 8.19kB"


def test_stopped_container_gets_zeros() -> None:
    doc = stats_doc(_container(), None, None, host_memory=1 << 30)
    wire = msgspec.json.decode(msgspec.json.encode(doc))
    assert wire["read"].startswith("0001-") and wire["memory_stats"] == {}
    assert wire["pids_stats"] == {} and "networks" not in wire
    assert set(wire["cpu_stats"]) == {"cpu_usage", "throttling_data"}
    assert wire["blkio_stats"]["io_service_bytes_recursive"] is None
    row = stats_row("web", _wire(doc))
    assert (row["CPUPerc"], row["Name"], row["ID"]) == ("0.00%", "web", doc.id[:12])


def test_net_dev_skips_lo(tmp_path: Path) -> None:
    _write(tmp_path, "42/net/dev",
           "Inter-|   Receive |  Transmit\n face |bytes packets ...\n"
           "    lo: 10 1 0 0 0 0 0 0 10 1 0 0 0 0 0 0\n"
           "  eth0: 100 2 0 1 0 0 0 0 50 1 0 0 0 0 0 0\n")
    assert net_dev(42, tmp_path) == {"eth0": {
        "rx_bytes": 100, "rx_packets": 2, "rx_errors": 0, "rx_dropped": 1,
        "tx_bytes": 50, "tx_packets": 1, "tx_errors": 0, "tx_dropped": 0}}


def test_blkio_rule_is_written(tmp_path: Path) -> None:
    (tmp_path / "blkio/pallet/abc").mkdir(parents=True)
    assert enable_blkio_accounting(CG, (254, 0), "hybrid", tmp_path)
    assert (tmp_path / "blkio/pallet/abc/blkio.throttle.read_bps_device").read_text() == \
        "254:0 1099511627776\n"
    assert enable_blkio_accounting(CG, (254, 0), "v2", tmp_path)
