"""Host check logic against a fake /sys/fs/cgroup."""

from __future__ import annotations

from pathlib import Path

import pytest

from pallet.errors import Unavailable
from pallet.runtime import hostcheck
from pallet.runtime.caps import caps_from_mask


def hybrid(tmp_path: Path, controllers: str) -> Path:
    (tmp_path / "unified").mkdir()
    (tmp_path / "unified" / "cgroup.controllers").write_text(controllers)
    (tmp_path / "memory").mkdir()
    return tmp_path


def test_layouts(tmp_path: Path) -> None:
    assert hostcheck.cgroup_layout(tmp_path) == "v1"
    (tmp_path / "cgroup.controllers").write_text("cpu memory\n")
    assert hostcheck.cgroup_layout(tmp_path) == "v2"
    other = tmp_path / "h"
    other.mkdir()
    assert hostcheck.cgroup_layout(hybrid(other, "")) == "hybrid"


def test_hybrid_fix_mounts_leftover_controllers(tmp_path: Path) -> None:
    root = hybrid(tmp_path, "hugetlb\n")
    calls: list[tuple[str, str, str, str]] = []

    def mounter(src: str, target: str, fstype: str, data: str) -> None:
        calls.append((src, target, fstype, data))
        (root / "unified" / "cgroup.controllers").write_text("")

    facts = hostcheck.check_host("crun", cgroup_root=root, mounter=mounter, is_root=True)
    assert calls == [("cgroup", str(root / "hugetlb"), "cgroup", "hugetlb")]
    assert (root / "hugetlb").is_dir()
    assert facts.runtime_name == "crun" and facts.cgroup_layout == "hybrid"
    assert facts.cgroup_fix and "hugetlb" in facts.cgroup_fix[0]


def test_hybrid_falls_back_to_runc(tmp_path: Path) -> None:
    root = hybrid(tmp_path, "hugetlb\n")

    def failing(src: str, target: str, fstype: str, data: str) -> None:
        raise OSError(16, "busy")

    facts = hostcheck.check_host("crun", cgroup_root=root, mounter=failing, is_root=True)
    assert facts.runtime_name == "runc"
    assert any("using runc" in w for w in facts.warnings)
    facts = hostcheck.check_host("crun", cgroup_root=root, is_root=False)
    assert facts.runtime_name == "runc"


def test_runc_needs_no_fix(tmp_path: Path) -> None:
    root = hybrid(tmp_path, "hugetlb\n")
    facts = hostcheck.check_host("runc", cgroup_root=root, mounter=None, is_root=False)
    assert facts.runtime_name == "runc" and facts.cgroup_fix == []


def test_facts_and_missing_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    facts = hostcheck.check_host("crun", cgroup_root=hybrid(tmp_path, ""), is_root=False)
    assert facts.rlimits["RLIMIT_NOFILE"] != 0
    assert facts.bounding_caps
    monkeypatch.setattr(hostcheck, "find_tool", lambda name, path_env=None: None)
    with pytest.raises(Unavailable, match=r"install the (conmon|crun) package"):
        hostcheck.check_host("crun", cgroup_root=tmp_path)
    with pytest.raises(Unavailable, match="unknown OCI runtime"):
        hostcheck.check_host("kata")


def test_require_init(tmp_path: Path) -> None:
    facts = hostcheck.HostFacts("crun", "/c", "/m", None, "v1")
    with pytest.raises(Unavailable, match="catatonit"):
        facts.require_init()


def test_bounding_caps_parse() -> None:
    caps = hostcheck.bounding_caps("Name:\tx\nCapBnd:\t000001fffeffffff\n")
    assert "CAP_SYS_RESOURCE" not in caps and "CAP_SYS_ADMIN" in caps
    # Docker's default set: the mask a container's /proc/self/status shows under dockerd
    assert caps_from_mask(0xA80425FB) == {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT",
        "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP"}
