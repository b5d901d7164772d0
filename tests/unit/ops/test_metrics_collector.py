"""The container collector: cAdvisor's names and labels from a record and a cgroup sample,
pallet's own series for every container, and metrics-addr in the daemon's config."""

from __future__ import annotations

from typing import Any, cast

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pallet.api.models import ContainerConfig, HostConfig
from pallet.daemon import config
from pallet.engine.health import HealthState
from pallet.engine.lifecycle import State
from pallet.engine.metrics import ContainerCollector, EngineMetrics
from pallet.engine.records import Container
from pallet.engine.stats import Snapshot
from pallet.errors import InvalidArgument
from pallet.runtime.cgstats import BlkioEntry, CgroupSample


class FakeStats:
    def cgroup_of(self, c: Container) -> str:
        return f"pallet/{c.id}"

    def sample(self, c: Container) -> Snapshot:
        cg = CgroupSample(cpu_total_ns=2_500_000_000, memory_usage=300, memory_limit=1000,
                          memory_stat={"total_inactive_file": 100}, oom_kills=2,
                          blkio_bytes=[BlkioEntry(8, 0, "Read", 7), BlkioEntry(8, 0, "Write", 9)])
        return Snapshot(cg, 0, 1, {"eth0": {"rx_bytes": 11, "tx_bytes": 12}})


class FakeHealth:
    def state_of(self, c: Container) -> HealthState | None:
        return HealthState("unhealthy", 4) if c.name == "web" else None


def record(name: str, status: State, **kw: Any) -> Container:
    return Container(id=name * 4, name=name, image_id="sha256:x", created="",
                     config=ContainerConfig(Image="busybox"),
                     host_config=HostConfig(NanoCpus=500_000_000), status=status, **kw)


def scrape(*records: Container) -> dict[tuple[str, str], float]:
    collector = ContainerCollector(lambda: records, cast(Any, FakeStats()),
                                   cast(Any, FakeHealth()))
    text = EngineMetrics(collector).render().decode()
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if "name" in s.labels:
                extra = s.labels.get("interface") or s.labels.get("device") \
                    or s.labels.get("status") or ""
                out[(s.name + (f":{extra}" if extra else ""), s.labels["name"])] = s.value
    return out


def test_running_container_under_cadvisor_names() -> None:
    got = scrape(record("web", State.RUNNING, pid=1, restart_count=3))
    assert got[("container_cpu_usage_seconds_total", "web")] == 2.5
    assert got[("container_memory_working_set_bytes", "web")] == 200
    assert got[("container_oom_events_total", "web")] == 2
    assert got[("container_spec_memory_limit_bytes", "web")] == 1000
    assert got[("container_spec_cpu_quota", "web")] == 50_000
    assert got[("container_spec_cpu_period", "web")] == 100_000
    assert got[("container_network_receive_bytes_total:eth0", "web")] == 11
    assert got[("container_fs_writes_bytes_total:8:0", "web")] == 9
    assert got[("pallet_container_restarts_total", "web")] == 3
    assert got[("pallet_container_health_status:unhealthy", "web")] == 1
    assert got[("pallet_container_health_status:healthy", "web")] == 0
    assert got[("pallet_container_health_failing_streak", "web")] == 4


def test_exited_container_has_only_pallets_series() -> None:
    got = scrape(record("job", State.EXITED, exit_code=137, oom_killed=True),
                 record("done", State.EXITED, exit_code=143, manually_stopped=True))
    assert ("container_cpu_usage_seconds_total", "job") not in got
    assert got[("pallet_container_last_exit_code", "job")] == 137
    assert got[("pallet_container_oom_killed", "job")] == 1
    assert got[("pallet_container_exited_unexpectedly", "job")] == 1
    assert got[("pallet_container_exited_unexpectedly", "done")] == 0


def test_metrics_addr_is_docker_key(tmp_path: Any) -> None:
    (tmp_path / "daemon.json").write_text('{"metrics-addr": "127.0.0.1:9323"}')
    cfg = config.load(["--root", str(tmp_path)], env={})
    assert cfg.metrics_listen == ("127.0.0.1", 9323)
    (tmp_path / "daemon.json").write_text('{"metrics-addr": "localhost"}')
    with pytest.raises(InvalidArgument, match="metrics-addr"):
        config.load(["--root", str(tmp_path)], env={})
