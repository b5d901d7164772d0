"""Create-time checks: each value dockerd refuses (or the runtime would only refuse at
start) is an InvalidArgument with Docker's wording; sane values pass."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from pallet.api.models import CreateRequest, HostConfig
from pallet.engine.createcheck import HostLimits, check_create, check_resources
from pallet.errors import InvalidArgument

HOST = HostLimits(cpus=frozenset({0, 1}), mems=frozenset({0}))
MB = 1024 * 1024


def req(**body: Any) -> CreateRequest:
    return msgspec.convert({"Image": "busybox", **body}, CreateRequest)


def hc(**fields: Any) -> dict[str, Any]:
    return {"HostConfig": fields}


BAD = [
    (hc(Memory=1000), "Minimum memory limit allowed is 6MB"),
    (hc(Memory=1 << 63), "cannot unmarshal number 9223372036854775808"),
    (hc(Memory=1 << 70), "of type int64"),
    (hc(MemorySwap=64 * MB), "always set the Memory limit"),
    (hc(Memory=64 * MB, MemorySwap=32 * MB), "memoryswap limit should be larger"),
    (hc(MemoryReservation=1), "Minimum memory reservation allowed is 6MB"),
    (hc(Memory=8 * MB, MemoryReservation=16 * MB), "can not be less than memory reservation"),
    (hc(MemorySwappiness=101), "valid memory swappiness range is 0-100"),
    (hc(CpuQuota=1), "CPU cfs quota can not be less than 1ms (i.e. 1000)"),
    (hc(CpuPeriod=10), "CPU cfs period can not be less than 1ms"),
    (hc(NanoCpus=1, CpuQuota=5000), "Nano CPUs and CPU Quota cannot both be set"),
    (hc(NanoCpus=3_000_000_000), "Range of CPUs is from 0.01 to 2.00, as there are only 2"),
    (hc(CpusetCpus="abc"), "Invalid value abc for cpuset cpus"),
    (hc(CpusetCpus="3-1"), "Invalid value 3-1 for cpuset cpus"),
    (hc(CpusetCpus="0-5"), "Requested CPUs are not available - requested 0-5, available: 0-1"),
    (hc(CpusetMems="1"), "Requested memory nodes are not available"),
    (hc(BlkioWeight=5), "Range of blkio weight is from 10 to 1000"),
    (hc(OomScoreAdj=5000), "Invalid value 5000, range for oom score adj is [-1000, 1000]"),
    (hc(ShmSize=-1), "SHM size can not be less than 0"),
    (hc(Ulimits=[{"Name": "foo", "Soft": 1, "Hard": 1}]), "invalid ulimit type: foo"),
    (hc(Ulimits=[{"Name": "nofile", "Soft": 9, "Hard": 1}]), "soft limit must be less"),
    (hc(Tmpfs={"/t": "bogus=1"}), 'Invalid tmpfs option ["bogus" "1"]'),
    (hc(Tmpfs={"/t": "size=lots"}), 'Invalid tmpfs option ["size" "lots"]'),
    (hc(Tmpfs={"/t": "nosuchflag"}), 'Invalid tmpfs option ["nosuchflag"]'),
    (hc(Tmpfs={"t": ""}), "mount path must be absolute"),
    (hc(PortBindings={"80/tcp": [{"HostIp": "notanip", "HostPort": "8080"}]}),
     "invalid host IP address 'notanip'"),
    ({"Hostname": "h" * 300}, "invalid hostname: 300 characters, at most 64"),
    ({"Domainname": "d" * 65}, "invalid domainname"),
    ({"Healthcheck": {"Test": ["CMD", "true"], "Interval": 1}},
     "Interval in Healthcheck cannot be less than 1ms"),
    ({"Healthcheck": {"Timeout": 999_999}}, "Timeout in Healthcheck cannot be less than 1ms"),
    ({"Healthcheck": {"StartPeriod": -5}}, "StartPeriod in Healthcheck cannot be less"),
    ({"Healthcheck": {"Retries": -1}}, "Retries in Healthcheck cannot be negative"),
    ({"StopSignal": "SIGFOO"}, "Invalid signal: SIGFOO"),
    ({"StopSignal": "999"}, "Invalid signal: 999"),
    ({"Env": ["A=" + "x" * (129 * 1024)]}, "longer than 131072 bytes"),
    ({"Env": [f"V{i}=" + "x" * 100_000 for i in range(11)]}, "environment is larger"),
    ({"Labels": {f"l{i}": "x" * 100_000 for i in range(3)}}, "labels are larger"),
]


@pytest.mark.parametrize(("body", "message"), BAD, ids=[m[:40] for _, m in BAD])
def test_refused_with_dockers_reason(body: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        check_create(req(**body), HOST)
    assert message in err.value.message


def test_sane_values_pass() -> None:
    check_create(req(
        Hostname="web", StopSignal="SIGRTMIN+3", Env=["A=1"], Labels={"a": "b"},
        Healthcheck={"Test": ["CMD", "true"], "Interval": 1_000_000, "Retries": 3},
        HostConfig={"Memory": 64 * MB, "MemorySwap": -1, "MemoryReservation": 32 * MB,
                    "CpuQuota": 50_000, "CpuPeriod": 100_000, "CpusetCpus": "0-1",
                    "CpusetMems": "0", "OomScoreAdj": -500, "MemorySwappiness": -1,
                    "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 2048}],
                    "Tmpfs": {"/run": "rw,noexec,size=64m,mode=1777,uid=1000"},
                    "PortBindings": {"80/tcp": [{"HostIp": "::1", "HostPort": ""}]}},
    ), HOST)
    check_resources(HostConfig(NanoCpus=1_500_000_000), HOST)


@pytest.mark.parametrize(("body", "message"), [
    (hc(Dns=["notanip"]), "invalid DNS server 'notanip'"),
    (hc(ExtraHosts=["h:notanip"]), "invalid IP address in add-host"),
    (hc(ExtraHosts=["nohost"]), "invalid IP address in add-host"),
    (hc(Mounts=[{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": -5}}]),
     'invalid mount config for type "tmpfs": invalid size -5'),
    (hc(Mounts=[{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"Mode": 0o10000}}]),
     "invalid mode 4096"),
])
def test_network_and_mount_values_refused(body: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        check_create(req(**body), HOST)
    assert message in err.value.message


def test_network_values_that_pass() -> None:
    check_create(req(**hc(Dns=["1.1.1.1", "::1"], ExtraHosts=[
        "a:1.2.3.4", "b:::1", "c:[::2]", "gw:host-gateway", "d=::3"])), HOST)


@pytest.mark.parametrize(("body", "message"), [
    (hc(Binds=["/tmp\x00:/x"]), "invalid HostConfig.Binds: it contains a NUL character"),
    ({"Labels": {"a\x00": "b"}}, "invalid key in Labels"),
    ({"Cmd": ["ec\x00ho"]}, "invalid Cmd"),
])
def test_nul_characters_refused(body: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        check_create(req(**body), HOST)
    assert message in err.value.message
