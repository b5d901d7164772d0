"""``update``: Docker's update body -> new HostConfig and OCI resources (pure)."""

from __future__ import annotations

import pytest

from pallet.api.models import HostConfig, RestartPolicy
from pallet.api.models import UpdateConfig as UpdateRequest
from pallet.engine.update import plan_update
from pallet.errors import InvalidArgument

M = 1 << 20


def test_memory_cpus_pids() -> None:
    hc, res = plan_update(HostConfig(Memory=64 * M),
                          UpdateRequest(Memory=128 * M, NanoCpus=500_000_000, PidsLimit=50))
    assert (hc.Memory, hc.NanoCpus, hc.PidsLimit) == (128 * M, 500_000_000, 50)
    assert res == {"memory": {"limit": 128 * M, "swap": 256 * M},
                   "cpu": {"period": 100_000, "quota": 50_000}, "pids": {"limit": 50}}


def test_nothing_given_changes_nothing() -> None:
    old = HostConfig(Memory=64 * M, CpuShares=512)
    hc, res = plan_update(old, UpdateRequest())
    assert hc == old and res == {}


def test_swap_kept_and_checked() -> None:
    hc, res = plan_update(HostConfig(Memory=64 * M, MemorySwap=200 * M),
                          UpdateRequest(Memory=100 * M))
    assert res["memory"] == {"limit": 100 * M, "swap": 200 * M} and hc.Memory == 100 * M
    with pytest.raises(InvalidArgument, match="memoryswap"):
        plan_update(HostConfig(Memory=64 * M, MemorySwap=100 * M), UpdateRequest(Memory=200 * M))
    with pytest.raises(InvalidArgument):
        plan_update(HostConfig(), UpdateRequest(Memory=M))  # below 6MB


def test_unlimited_pids_and_quota() -> None:
    hc, res = plan_update(HostConfig(PidsLimit=20, NanoCpus=10**9),
                          UpdateRequest(PidsLimit=-1, CpuQuota=20_000, CpuPeriod=50_000))
    assert hc.PidsLimit is None and hc.NanoCpus == 0 and hc.CpuQuota == 20_000
    assert res == {"pids": {"limit": -1}, "cpu": {"quota": 20_000, "period": 50_000}}
    with pytest.raises(InvalidArgument):
        plan_update(HostConfig(), UpdateRequest(NanoCpus=10**9, CpuQuota=1000))


def test_restart_policy() -> None:
    hc, res = plan_update(HostConfig(), UpdateRequest(
        RestartPolicy=RestartPolicy(Name="on-failure", MaximumRetryCount=4)))
    assert hc.RestartPolicy == RestartPolicy(Name="on-failure", MaximumRetryCount=4)
    assert res == {}
    with pytest.raises(InvalidArgument):
        plan_update(HostConfig(AutoRemove=True),
                    UpdateRequest(RestartPolicy=RestartPolicy(Name="always")))
    with pytest.raises(InvalidArgument):
        plan_update(HostConfig(), UpdateRequest(RestartPolicy=RestartPolicy(Name="maybe")))
