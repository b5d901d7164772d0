"""Table tests of the pure OCI spec generator."""

from __future__ import annotations

from typing import Any

import pytest

from pallet.errors import InvalidArgument
from pallet.oci.runtimemount import OciMount
from pallet.runtime.caps import DEFAULT_CAPS
from pallet.runtime.spec import (
    MASKED_PATHS,
    READONLY_PATHS,
    clamp_rlimits,
    generate_spec,
)
from pallet.runtime.specinput import SpecInput
from pallet.runtime.specmounts import DEFAULT_SHM_SIZE, tmpfs_options


def spec(**kw: Any) -> dict[str, Any]:
    kw.setdefault("args", ["sh"])
    kw.setdefault("rootfs", "/r")
    out: dict[str, Any] = generate_spec(SpecInput(**kw))
    return out


def mount(s: dict[str, Any], dest: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [m for m in s["mounts"] if m["destination"] == dest]
    assert len(found) == 1, dest
    return found[0]


def ns_types(s: dict[str, Any]) -> dict[str, str | None]:
    return {n["type"]: n.get("path") for n in s["linux"]["namespaces"]}


def test_defaults_match_docker() -> None:
    s = spec()
    p = s["process"]
    assert s["ociVersion"].startswith("1.")
    assert p["args"] == ["sh"] and p["cwd"] == "/" and p["terminal"] is False
    assert p["user"] == {"uid": 0, "gid": 0}
    assert p["noNewPrivileges"] is False
    assert p["capabilities"]["bounding"] == list(DEFAULT_CAPS)
    assert p["capabilities"]["effective"] == list(DEFAULT_CAPS)
    assert "inheritable" not in p["capabilities"] and "ambient" not in p["capabilities"]
    assert len(DEFAULT_CAPS) == 14
    assert "rlimits" not in p and "oomScoreAdj" not in p
    assert s["root"] == {"path": "/r", "readonly": False}
    assert s["linux"]["maskedPaths"] == list(MASKED_PATHS)
    assert s["linux"]["readonlyPaths"] == list(READONLY_PATHS)
    assert "seccomp" not in s["linux"] and "cgroupsPath" not in s["linux"]
    assert ns_types(s) == {"pid": None, "network": None, "ipc": None, "uts": None,
                           "mount": None}
    assert "hostname" not in s


def test_default_mounts() -> None:
    s = spec()
    dests = [m["destination"] for m in s["mounts"]]
    assert set(dests) == {"/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup",
                          "/dev/mqueue", "/dev/shm"}
    assert dests.index("/dev") < dests.index("/dev/pts")
    assert dests.index("/sys") < dests.index("/sys/fs/cgroup")
    assert mount(s, "/dev")["type"] == "tmpfs"
    assert "gid=5" in mount(s, "/dev/pts")["options"]
    assert "ro" in mount(s, "/sys")["options"]
    assert "ro" in mount(s, "/sys/fs/cgroup")["options"]
    assert mount(s, "/dev/mqueue")["type"] == "mqueue"
    assert f"size={DEFAULT_SHM_SIZE}" in mount(s, "/dev/shm")["options"]
    assert DEFAULT_SHM_SIZE == 64 * 1024 * 1024


def test_default_device_rules() -> None:
    rules = spec()["linux"]["resources"]["devices"]
    assert rules[0] == {"allow": False, "access": "rwm"}
    allowed = {(r.get("type"), r.get("major"), r.get("minor"), r["access"]) for r in rules[1:]}
    for dev in [(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 2)]:
        assert ("c", *dev, "rwm") in allowed
    assert ("c", 136, None, "rwm") in allowed
    assert ("c", None, None, "m") in allowed and ("b", None, None, "m") in allowed


@pytest.mark.parametrize(
    ("add", "drop", "expect_in", "expect_out"),
    [
        (["NET_ADMIN"], [], ["CAP_NET_ADMIN", "CAP_CHOWN"], []),
        (["cap_sys_admin"], [], ["CAP_SYS_ADMIN"], []),
        ([], ["chown", "CAP_KILL"], ["CAP_SETUID"], ["CAP_CHOWN", "CAP_KILL"]),
        ([], ["ALL"], [], list(DEFAULT_CAPS)),
        (["NET_BIND_SERVICE"], ["ALL"], ["CAP_NET_BIND_SERVICE"], ["CAP_CHOWN"]),
        (["ALL"], [], ["CAP_SYS_ADMIN", "CAP_BPF", "CAP_CHOWN"], []),
        (["ALL"], ["SYS_ADMIN"], ["CAP_NET_ADMIN"], ["CAP_SYS_ADMIN"]),
        (["all"], [], ["CAP_SYS_MODULE"], []),
    ],
)
def test_capabilities(add: list[str], drop: list[str], expect_in: list[str],
                      expect_out: list[str]) -> None:
    caps = spec(cap_add=add, cap_drop=drop)["process"]["capabilities"]
    for key in ("bounding", "effective", "permitted"):
        for c in expect_in:
            assert c in caps[key]
        for c in expect_out:
            assert c not in caps[key]
    assert len(caps["bounding"]) == len(set(caps["bounding"]))


def test_drop_all_gives_empty_set() -> None:
    assert spec(cap_drop=["ALL"])["process"]["capabilities"]["bounding"] == []


def test_unknown_capability() -> None:
    with pytest.raises(InvalidArgument, match="unknown capability"):
        spec(cap_add=["NOPE"])


def test_all_limited_to_available_caps() -> None:
    avail = frozenset(["CAP_CHOWN", "CAP_SYS_ADMIN"])
    caps = spec(cap_add=["ALL"], available_caps=avail)["process"]["capabilities"]["bounding"]
    assert sorted(caps) == ["CAP_CHOWN", "CAP_SYS_ADMIN"]


def test_privileged() -> None:
    s = spec(privileged=True, seccomp={"defaultAction": "SCMP_ACT_ERRNO"})
    assert "CAP_SYS_ADMIN" in s["process"]["capabilities"]["bounding"]
    assert s["linux"]["maskedPaths"] == [] and s["linux"]["readonlyPaths"] == []
    assert "seccomp" not in s["linux"]
    assert "ro" not in mount(s, "/sys")["options"]
    assert "ro" not in mount(s, "/sys/fs/cgroup")["options"]
    assert s["linux"]["resources"]["devices"] == [{"allow": True, "access": "rwm"}]


def test_seccomp_and_nnp() -> None:
    prof = {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": []}
    s = spec(seccomp=prof, no_new_privileges=True)
    assert s["linux"]["seccomp"] == prof
    assert s["process"]["noNewPrivileges"] is True


def test_user_and_groups() -> None:
    s = spec(uid=1000, gid=100, additional_gids=[5, 6, 5])
    assert s["process"]["user"] == {"uid": 1000, "gid": 100, "additionalGids": [5, 6]}
    with pytest.raises(InvalidArgument):
        spec(uid=-1)


def test_init_wraps_args_and_binds_readonly() -> None:
    s = spec(args=["nginx", "-g", "x"], init="/usr/bin/catatonit")
    assert s["process"]["args"] == ["/dev/init", "--", "nginx", "-g", "x"]
    m = mount(s, "/dev/init")
    assert m["source"] == "/usr/bin/catatonit" and m["type"] == "bind"
    assert "ro" in m["options"] and "bind" in m["options"]
    dests = [x["destination"] for x in s["mounts"]]
    assert dests.index("/dev") < dests.index("/dev/init")


def test_hostname_domainname_annotations_env_cwd_terminal() -> None:
    s = spec(hostname="web", domainname="example.org", annotations={"a": "b"},
             env=["A=1"], cwd="/srv", terminal=True, readonly_rootfs=True)
    assert s["hostname"] == "web" and s["domainname"] == "example.org"
    assert s["annotations"] == {"a": "b"}
    assert s["process"]["env"] == ["A=1"] and s["process"]["cwd"] == "/srv"
    assert s["process"]["terminal"] is True and s["root"]["readonly"] is True


@pytest.mark.parametrize(
    ("kw", "ns"),
    [
        ({"netns_path": "/run/pallet/netns/x"}, {"network": "/run/pallet/netns/x"}),
        ({"netns_path": "host"}, {"network": "absent"}),
        ({"ipc_ns_path": "host"}, {"ipc": "absent"}),
        ({"pid_ns_path": "host"}, {"pid": "absent"}),
        ({"uts_ns_path": "host"}, {"uts": "absent"}),
        ({"pid_ns_path": "/proc/9/ns/pid"}, {"pid": "/proc/9/ns/pid"}),
        ({"cgroupns": True}, {"cgroup": None}),
    ],
)
def test_namespaces(kw: dict[str, Any], ns: dict[str, str | None]) -> None:
    got = ns_types(spec(**kw))
    assert "mount" in got
    for kind, path in ns.items():
        if path == "absent":
            assert kind not in got
        else:
            assert got[kind] == path


def test_ipc_host_binds_dev_shm() -> None:
    m = mount(spec(ipc_ns_path="host"), "/dev/shm")
    assert m["type"] == "bind" and m["source"] == "/dev/shm"


def test_shm_size() -> None:
    assert "size=1048576" in mount(spec(shm_size=1048576), "/dev/shm")["options"]


@pytest.mark.parametrize(
    ("kw", "expect"),
    [
        ({"memory": 32 << 20}, {"memory": {"limit": 32 << 20, "swap": 64 << 20}}),
        ({"memory": 32 << 20, "memory_swap": -1}, {"memory": {"limit": 32 << 20, "swap": -1}}),
        ({"memory": 32 << 20, "memory_swap": 48 << 20},
         {"memory": {"limit": 32 << 20, "swap": 48 << 20}}),
        ({"memory_reservation": 1 << 20}, {"memory": {"reservation": 1 << 20}}),
        ({"oom_kill_disable": True}, {"memory": {"disableOOMKiller": True}}),
        ({"cpu_shares": 512}, {"cpu": {"shares": 512}}),
        ({"cpu_quota": 50000, "cpu_period": 100000}, {"cpu": {"quota": 50000, "period": 100000}}),
        ({"cpuset_cpus": "0-1", "cpuset_mems": "0"}, {"cpu": {"cpus": "0-1", "mems": "0"}}),
        ({"pids_limit": 100}, {"pids": {"limit": 100}}),
        ({"pids_limit": -1}, {}),
        ({"pids_limit": 0}, {}),
        ({"block_io": {"weight": 300}}, {"blockIO": {"weight": 300}}),
    ],
)
def test_resources(kw: dict[str, Any], expect: dict[str, Any]) -> None:
    res = spec(**kw)["linux"]["resources"]
    res.pop("devices")
    assert res == expect


@pytest.mark.parametrize(
    "kw",
    [
        {"memory": 32 << 20, "memory_swap": 16 << 20},
        {"memory_swap": 16 << 20},
    ],
)
def test_bad_memory(kw: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgument):
        spec(**kw)


def test_cgroups_path_and_oom_score() -> None:
    s = spec(cgroups_path="/pallet/abc", oom_score_adj=500)
    assert s["linux"]["cgroupsPath"] == "/pallet/abc"
    assert s["process"]["oomScoreAdj"] == 500
    with pytest.raises(InvalidArgument):
        spec(cgroups_path="pallet/abc")


@pytest.mark.parametrize(
    ("rlimits", "ceiling", "expect"),
    [
        ([("nofile", 1048576, 1048576)], {"RLIMIT_NOFILE": 20000},
         [{"type": "RLIMIT_NOFILE", "hard": 20000, "soft": 20000}]),
        ([("RLIMIT_NOFILE", 1024, 4096)], {"nofile": 20000},
         [{"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 1024}]),
        ([("nproc", 100, 200)], {}, [{"type": "RLIMIT_NPROC", "hard": 200, "soft": 100}]),
        ([("core", -1, -1)], {"RLIMIT_CORE": -1},
         [{"type": "RLIMIT_CORE", "hard": 2**64 - 1, "soft": 2**64 - 1}]),
        ([("core", -1, -1)], {"RLIMIT_CORE": 0}, [{"type": "RLIMIT_CORE", "hard": 0, "soft": 0}]),
        ([("nofile", 10, 20), ("nofile", 30, 40)], {},
         [{"type": "RLIMIT_NOFILE", "hard": 40, "soft": 30}]),
    ],
)
def test_rlimits_clamped(rlimits: list[tuple[str, int, int]], ceiling: dict[str, int],
                         expect: list[dict[str, Any]]) -> None:
    assert clamp_rlimits(rlimits, ceiling) == expect
    s = spec(rlimits=rlimits, rlimit_ceiling=ceiling)
    assert s["process"]["rlimits"] == expect


def test_rlimit_soft_above_hard() -> None:
    with pytest.raises(InvalidArgument):
        clamp_rlimits([("nofile", 20, 10)], {})


@pytest.mark.parametrize(
    ("sysctls", "kw", "ok"),
    [
        ({"net.ipv4.ip_forward": "1"}, {}, True),
        ({"net.ipv4.ip_forward": "1"}, {"netns_path": "host"}, False),
        ({"kernel.shmmax": "1"}, {}, True),
        ({"kernel.shmmax": "1"}, {"ipc_ns_path": "host"}, False),
        ({"fs.mqueue.msg_max": "10"}, {}, True),
        ({"kernel.domainname": "x"}, {"uts_ns_path": "host"}, False),
        ({"vm.swappiness": "1"}, {}, False),
    ],
)
def test_sysctls(sysctls: dict[str, str], kw: dict[str, Any], ok: bool) -> None:
    if ok:
        assert spec(sysctls=sysctls, **kw)["linux"]["sysctl"] == sysctls
    else:
        with pytest.raises(InvalidArgument):
            spec(sysctls=sysctls, **kw)


def test_masked_and_readonly_overrides() -> None:
    s = spec(masked_paths=[], readonly_paths=["/proc/sys"])
    assert s["linux"]["maskedPaths"] == [] and s["linux"]["readonlyPaths"] == ["/proc/sys"]


def test_tmpfs_mounts() -> None:
    s = spec(tmpfs={"/run": "", "/tmp": "rw,exec,size=64m"})
    run = mount(s, "/run")
    assert run["type"] == "tmpfs"
    assert {"noexec", "nosuid", "nodev"} <= set(run["options"])
    tmp = mount(s, "/tmp")["options"]
    assert "exec" in tmp and "noexec" not in tmp and "size=64m" in tmp
    assert tmpfs_options("") == ["noexec", "nosuid", "nodev", "rprivate"]


def test_extra_mounts_sorted_and_replace_defaults() -> None:
    binds = [
        OciMount(destination="/data/sub", source="/h/sub", options=["rbind"]),
        OciMount(destination="/data", source="/h", options=["rbind"]),
        OciMount(destination="/etc/resolv.conf", source="/x/resolv.conf",
                 options=["rbind", "ro"]),
        OciMount(destination="/dev/shm", source="/x/shm", options=["rbind"]),
    ]
    s = spec(mounts=binds)
    dests = [m["destination"] for m in s["mounts"]]
    assert dests.index("/data") < dests.index("/data/sub")
    assert mount(s, "/dev/shm")["source"] == "/x/shm"
    assert mount(s, "/etc/resolv.conf")["options"] == ["rbind", "ro"]


@pytest.mark.parametrize("dest", ["relative", "/a/../b", ""])
def test_bad_mount_destination(dest: str) -> None:
    with pytest.raises(InvalidArgument):
        spec(mounts=[OciMount(destination=dest, source="/x")])


def test_duplicate_mount() -> None:
    m = OciMount(destination="/d", source="/x")
    with pytest.raises(InvalidArgument, match="Duplicate"):
        spec(mounts=[m, m])


def test_devices_add_cgroup_rules() -> None:
    dev = {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o666}
    s = spec(devices=[dev], device_cgroup_rules=[{"allow": True, "type": "b", "major": 8,
                                                  "access": "r"}])
    assert s["linux"]["devices"] == [dev]
    rules = s["linux"]["resources"]["devices"]
    assert {"allow": True, "type": "c", "access": "rwm", "major": 10, "minor": 229} in rules
    assert rules[-1] == {"allow": True, "type": "b", "major": 8, "access": "r"}


@pytest.mark.parametrize("access", ["r", "rw", "rwm", "m"])
def test_device_access_becomes_its_cgroup_rule_only(access: str) -> None:
    dev = {"path": "/dev/x", "type": "c", "major": 1, "minor": 11, "access": access}
    s = spec(devices=[dev])
    assert s["linux"]["devices"] == [{"path": "/dev/x", "type": "c", "major": 1, "minor": 11}]
    assert s["linux"]["resources"]["devices"][-1] == {
        "allow": True, "type": "c", "access": access, "major": 1, "minor": 11}


@pytest.mark.parametrize(
    "kw", [{"args": []}, {"rootfs": "rel"}, {"cwd": "rel"}])
def test_invalid_inputs(kw: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgument):
        spec(**kw)


def test_pure_and_input_not_mutated() -> None:
    inp = SpecInput(args=["a"], rootfs="/r", mounts=[OciMount(destination="/x", source="/y")])
    first = generate_spec(inp)
    assert first["process"]["args"] == ["a"] and first["root"]["path"] == "/r"
    assert [m["source"] for m in first["mounts"] if m["destination"] == "/x"] == ["/y"]
    first["mounts"].clear()
    first["process"]["args"].append("changed")
    # a second spec shares nothing with the first: no module-level default was handed out
    second = generate_spec(inp)
    assert second["process"]["args"] == ["a"]
    assert [m["source"] for m in second["mounts"] if m["destination"] == "/x"] == ["/y"]
    assert inp.mounts[0] == OciMount(destination="/x", type="bind", source="/y")
