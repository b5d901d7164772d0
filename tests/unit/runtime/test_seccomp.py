"""Conversion of the containers-common seccomp profile to OCI form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pallet.errors import DataCorruption, InvalidArgument
from pallet.runtime import seccomp
from pallet.runtime.caps import DEFAULT_CAPS

PROFILE: dict[str, Any] = {
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 38,
    "archMap": [
        {"architecture": "SCMP_ARCH_X86_64",
         "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
        {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
    ],
    "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "args": [], "comment": "",
         "includes": {}, "excludes": {}},
        {"names": ["bdflush"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "errno": "EPERM"},
        {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW",
         "includes": {"arches": ["amd64", "x32"]}},
        {"names": ["arm_fadvise64_64"], "action": "SCMP_ACT_ALLOW",
         "includes": {"arches": ["arm", "arm64"]}},
        {"names": ["chroot"], "action": "SCMP_ACT_ALLOW",
         "includes": {"caps": ["CAP_SYS_CHROOT"]}},
        {"names": ["chroot"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
         "excludes": {"caps": ["CAP_SYS_CHROOT"]}},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
        {"names": ["newthing"], "action": "SCMP_ACT_ALLOW",
         "includes": {"minKernel": "5.8"}},
        {"names": ["oldthing"], "action": "SCMP_ACT_ALLOW",
         "excludes": {"arches": ["s390x"]}},
    ],
}


def names(out: dict[str, Any]) -> list[str]:
    return [n for r in out["syscalls"] for n in r["names"]]


def test_amd64_without_caps() -> None:
    out = seccomp.to_oci(PROFILE, [], machine="x86_64")
    assert out["defaultAction"] == "SCMP_ACT_ERRNO" and out["defaultErrnoRet"] == 38
    assert out["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    assert "arch_prctl" in names(out) and "arm_fadvise64_64" not in names(out)
    chroot = [r for r in out["syscalls"] if r["names"] == ["chroot"]]
    assert chroot == [{"names": ["chroot"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]
    for r in out["syscalls"]:
        assert set(r) <= {"names", "action", "args", "errnoRet"}
    assert "archMap" not in out


def test_with_cap_allows() -> None:
    out = seccomp.to_oci(PROFILE, ["CAP_SYS_CHROOT"], machine="x86_64")
    chroot = [r for r in out["syscalls"] if r["names"] == ["chroot"]]
    assert chroot == [{"names": ["chroot"], "action": "SCMP_ACT_ALLOW"}]


def test_arm64() -> None:
    out = seccomp.to_oci(PROFILE, [], machine="aarch64")
    assert out["architectures"] == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]
    assert "arm_fadvise64_64" in names(out) and "arch_prctl" not in names(out)


def test_args_kept_and_min_kernel() -> None:
    out = seccomp.to_oci(PROFILE, [], machine="x86_64", kernel=(5, 4))
    pers = next(r for r in out["syscalls"] if r["names"] == ["personality"])
    assert pers["args"] == [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]
    assert "newthing" not in names(out)
    assert "newthing" in names(seccomp.to_oci(PROFILE, [], machine="x86_64", kernel=(6, 1)))
    assert "oldthing" in names(out)


def test_unsupported_arch() -> None:
    with pytest.raises(InvalidArgument):
        seccomp.to_oci(PROFILE, [], machine="vax")


def test_load_cached_and_errors(tmp_path: Path) -> None:
    p = tmp_path / "p.json"
    p.write_text(json.dumps(PROFILE))
    a = seccomp.load_profile(p)
    assert seccomp.load_profile(p) is a
    with pytest.raises(InvalidArgument, match="not found"):
        seccomp.load_profile(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(DataCorruption):
        seccomp.load_profile(bad)


@pytest.mark.skipif(not seccomp.DEFAULT_PROFILE.exists(), reason="containers-common missing")
def test_debian_profile() -> None:
    none = seccomp.default_seccomp([], machine="x86_64")
    docker = seccomp.default_seccomp(DEFAULT_CAPS, machine="x86_64")
    assert none["defaultErrnoRet"] == 38
    assert "io_uring_setup" not in names(none)
    assert "read" in names(none) and "userfaultfd" in names(none)
    # with SYS_CHROOT (a Docker default) chroot is allowed, without it EPERM
    rule = [r for r in docker["syscalls"] if "chroot" in r["names"]]
    assert [r["action"] for r in rule] == ["SCMP_ACT_ALLOW"]
    rule = [r for r in none["syscalls"] if "chroot" in r["names"]]
    assert [r["action"] for r in rule] == ["SCMP_ACT_ERRNO"]
    assert json.loads(json.dumps(docker)) == docker
