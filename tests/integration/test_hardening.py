"""Hardening flags proven from inside a container on a real palletd: seccomp (unconfined,
default, a custom profile), --group-add, --privileged, --device, Docker's masked and
read-only paths, --sysctl, --userns, --oom-kill-disable and --memory-reservation; each
also visible in inspect."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pallet.testing.cli_session import CliSession

pytestmark = pytest.mark.integration

CGROUP = Path("/sys/fs/cgroup")


P = CliSession


@pytest.fixture
def p(palletd: Any, busybox: str) -> Iterator[P]:
    helper = CliSession(palletd, "hard")
    try:
        yield helper
    finally:
        helper.cleanup()


def _status_field(text: str, key: str) -> str:
    return next(line.split()[1] for line in text.splitlines() if line.startswith(key + ":"))


# -- seccomp ------------------------------------------------------------------------------
def test_seccomp_default_and_unconfined(p: P) -> None:
    out, _, _ = p.run("busybox", "grep", "Seccomp:", "/proc/self/status")
    assert _status_field(out, "Seccomp") == "2"  # the default profile is a filter
    out, n, _ = p.run("--security-opt", "seccomp=unconfined", "busybox",
                      "grep", "Seccomp:", "/proc/self/status")
    assert _status_field(out, "Seccomp") == "0"
    assert p.inspect(n)["HostConfig"]["SecurityOpt"] == ["seccomp=unconfined"]


def test_seccomp_custom_profile_denies_mkdir(p: P, tmp_path: Path) -> None:
    profile = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "archMap": [{"architecture": "SCMP_ARCH_X86_64",
                     "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
                    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                      "errnoRet": 1, "comment": "no new directories"}],
    }
    path = tmp_path / "nomkdir.json"
    path.write_text(json.dumps(profile))
    out, n, _ = p.run("--security-opt", f"seccomp={path}", "busybox", "sh", "-c",
                        "mkdir /tmp/x && echo made; touch /tmp/f && echo touched", ok=False)
    assert "Operation not permitted" in out and "made" not in out and "touched" in out
    opts = p.inspect(n)["HostConfig"]["SecurityOpt"]
    assert len(opts) == 1 and json.loads(opts[0].removeprefix("seccomp=")) == profile


def test_seccomp_bad_profile_refused_at_create(p: P) -> None:
    status, raw = p.d.request("POST", f"/containers/create?name={p.name()}", {
        "Image": "busybox", "Cmd": ["true"],
        "HostConfig": {"SecurityOpt": ["seccomp={not json"]}})
    assert status == 400 and b"Decoding seccomp profile failed" in raw


# -- users, groups, privileges ------------------------------------------------------------
def test_group_add(p: P) -> None:
    out, n, _ = p.run("--user", "1000:1000", "--group-add", "4321", "--group-add", "27",
                      "busybox", "id", "-G")
    assert out.split()[0] == "1000" and sorted(out.split()[1:]) == ["27", "4321"]
    assert p.inspect(n)["HostConfig"]["GroupAdd"] == ["4321", "27"]


def test_privileged_has_all_caps_devices_and_shows_in_inspect(p: P) -> None:
    out, n, _ = p.run("--privileged", "busybox", "sh", "-c",
                      "grep -E '^(CapEff|Seccomp):' /proc/self/status; ls /dev; "
                      "grep ' /sys ' /proc/mounts")
    own = Path("/proc/self/status").read_text()
    assert _status_field(out, "CapEff") == _status_field(own, "CapBnd")
    assert _status_field(out, "Seccomp") == "0"
    devs = set(out.split())
    assert {"kmsg", "loop0", "null"} <= devs  # host devices, beyond Docker's default set
    sys_line = next(x for x in out.splitlines() if " /sys " in x)
    assert " rw," in sys_line
    hc = p.inspect(n)["HostConfig"]
    assert hc["Privileged"] is True and hc["MaskedPaths"] is None


def test_device_mapped_with_its_cgroup_permissions(p: P) -> None:
    # /dev/kmsg (1:11) is outside Docker's default device rules: only "r" is allowed here
    out, n, _ = p.run("--device", "/dev/zero:/dev/myzero", "--device", "/dev/kmsg:/dev/rokmsg:r",
                      "busybox", "sh", "-c",
                      "head -c 3 /dev/myzero | od -An -tx1; ls -l /dev/myzero /dev/rokmsg; "
                      "echo x > /dev/rokmsg && echo wrote || echo denied")
    listing = " ".join(out.split())
    assert "00 00 00" in out and "1, 5 " in listing and "1, 11 " in listing
    assert "denied" in out and "wrote" not in out
    assert {"PathOnHost": "/dev/zero", "PathInContainer": "/dev/myzero",
            "CgroupPermissions": "rwm"} in p.inspect(n)["HostConfig"]["Devices"]


def test_missing_device_refused(p: P) -> None:
    out, _, res = p.run("--device", "/dev/nonexistent-xyz", "busybox", "true", ok=False)
    assert res.returncode == 125 and "nonexistent-xyz" in out


# -- masked and read-only paths, sysctls ----------------------------------------------------
def test_masked_and_readonly_paths(p: P) -> None:
    out, n, _ = p.run("busybox", "sh", "-c",
                      "echo kcore=$(head -c 16 /proc/kcore | wc -c); "
                      "echo firmware=$(ls /sys/firmware | wc -l); "
                      "echo 1 > /proc/sys/kernel/panic_on_oops 2>/dev/null && echo sys-rw "
                      "|| echo sys-ro; grep ' /proc/sys ' /proc/mounts")
    assert "kcore=0" in out and "firmware=0" in out and "sys-ro" in out
    assert next(x for x in out.splitlines() if " /proc/sys " in x).split()[3].startswith("ro")
    hc = p.inspect(n)["HostConfig"]
    assert "/proc/kcore" in hc["MaskedPaths"] and "/proc/sys" in hc["ReadonlyPaths"]


def test_sysctl_applied_in_the_container(p: P) -> None:
    out, n, _ = p.run("--sysctl", "net.ipv4.ping_group_range=0 4242", "busybox",
                      "cat", "/proc/sys/net/ipv4/ping_group_range")
    assert out.split() == ["0", "4242"]
    assert p.inspect(n)["HostConfig"]["Sysctls"] == {"net.ipv4.ping_group_range": "0 4242"}


def test_non_namespaced_sysctl_refused(p: P) -> None:
    out, _, res = p.run("--sysctl", "vm.swappiness=1", "busybox", "true", ok=False)
    assert res.returncode == 125 and "not whitelisted" in out


def test_userns_host_only(p: P) -> None:
    out, n, _ = p.run("--userns", "host", "busybox", "cat", "/proc/self/uid_map")
    assert out.split()[:3] == ["0", "0", "4294967295"]
    assert p.inspect(n)["HostConfig"]["UsernsMode"] == "host"
    out, _, res = p.run("--userns", "private", "busybox", "true", ok=False)
    assert res.returncode == 125 and "--userns=host" in out


# -- memory knobs in the cgroup --------------------------------------------------------------
def test_oom_kill_disable_and_memory_reservation_in_cgroup(p: P) -> None:
    n = p.name()
    res = p.d.pallet("run", "-d", "--name", n, "-m", "64m", "--memory-reservation", "32m",
                     "--oom-kill-disable", "busybox", "sleep", "100")
    assert res.returncode == 0, res.stderr
    doc = p.inspect(n)
    mem = CGROUP / "memory" / "pallet" / doc["Id"]
    if not mem.is_dir():  # cgroup v2 (unified)
        mem = CGROUP / "pallet" / doc["Id"]
        assert (mem / "memory.low").read_text().strip() == str(32 << 20)
    else:
        assert "oom_kill_disable 1" in (mem / "memory.oom_control").read_text()
        assert int((mem / "memory.soft_limit_in_bytes").read_text()) == 32 << 20
    hc = doc["HostConfig"]
    assert hc["OomKillDisable"] is True and hc["MemoryReservation"] == 32 << 20
