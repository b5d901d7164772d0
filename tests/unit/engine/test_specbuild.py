"""Table tests of HostConfig -> SpecInput for the hardening flags (no host I/O: devices
and the host's /dev are fakes)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pallet.api.models import ContainerConfig, DeviceMapping, HostConfig
from pallet.engine.records import Container
from pallet.engine.specbuild import HostDefaults, Resolved, build_spec_input, validate
from pallet.errors import InvalidArgument
from pallet.runtime.spec import generate_spec
from pallet.runtime.specinput import SpecInput

BUILTIN = {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": []}
CAPS_SEEN: list[list[str]] = []


def _seccomp_for(caps: Any) -> dict[str, Any]:
    CAPS_SEEN.append(list(caps))
    return BUILTIN


def _devices(src: str, dst: str, perms: str) -> list[dict[str, Any]]:
    if src == "/dev/missing":
        raise InvalidArgument(f"no such device {src}")
    return [{"path": dst, "type": "c", "major": 1, "minor": 5, "access": perms}]


HOST = HostDefaults(seccomp_for=_seccomp_for, device_entries=_devices,
                    host_devices=lambda: [{"path": "/dev/kmsg", "type": "c", "major": 1,
                                           "minor": 11}],
                    available_caps=frozenset({"CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"}))
R = Resolved(uid=0, gid=0, additional_gids=(), args=("sh",), rootfs="/r", mounts=())


def container(**hc: Any) -> Container:
    return Container(id="c" * 64, name="n", image_id="sha256:x", created="",
                     config=ContainerConfig(Image="busybox", Hostname="h"),
                     host_config=HostConfig(**hc))


def inp(**hc: Any) -> SpecInput:
    return build_spec_input(container(**hc), R, HOST)


DENY_MKDIR = {"defaultAction": "SCMP_ACT_ALLOW",
              "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
                           {"names": ["mount"], "action": "SCMP_ACT_ALLOW",
                            "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}


@pytest.mark.parametrize("opts,privileged,expect", [
    (None, False, BUILTIN),
    (["seccomp=builtin"], False, BUILTIN),
    (["seccomp=unconfined"], False, None),
    (None, True, None),
    ([f"seccomp={json.dumps(DENY_MKDIR)}"], True, None),
])
def test_seccomp_choice(opts: list[str] | None, privileged: bool, expect: Any) -> None:
    assert inp(SecurityOpt=opts, Privileged=privileged).seccomp == expect


def test_custom_profile_is_converted_for_the_container_caps() -> None:
    opt = f"seccomp={json.dumps(DENY_MKDIR)}"
    plain = inp(SecurityOpt=[opt]).seccomp
    assert plain is not None and plain["defaultAction"] == "SCMP_ACT_ALLOW"
    assert [r["names"] for r in plain["syscalls"]] == [["mkdir"]]
    assert plain["syscalls"][0]["errnoRet"] == 1 and plain["architectures"]
    admin = inp(SecurityOpt=[opt], CapAdd=["SYS_ADMIN"]).seccomp
    assert admin is not None and [r["names"] for r in admin["syscalls"]] == [["mkdir"],
                                                                             ["mount"]]


def test_default_profile_gets_effective_cap_names() -> None:
    CAPS_SEEN.clear()
    inp(CapAdd=["sys_admin"], CapDrop=["CHOWN"])
    assert "CAP_SYS_ADMIN" in CAPS_SEEN[-1] and "CAP_CHOWN" not in CAPS_SEEN[-1]


@pytest.mark.parametrize("opt", ["seccomp={nope", 'seccomp={"syscalls": []}', "seccomp=",
                                 "no-new-privileges=maybe", "bogus=1"])
def test_bad_security_opts_refused(opt: str) -> None:
    with pytest.raises(InvalidArgument):
        validate(container(SecurityOpt=[opt]), HOST)


def test_devices_with_permissions_and_privileged_host_devices() -> None:
    got = inp(Devices=[DeviceMapping(PathOnHost="/dev/zero", PathInContainer="/dev/z",
                                     CgroupPermissions="r")])
    assert list(got.devices) == [{"path": "/dev/z", "type": "c", "major": 1, "minor": 5,
                                  "access": "r"}]
    priv = inp(Privileged=True)
    assert [d["path"] for d in priv.devices] == ["/dev/kmsg"]
    s = generate_spec(priv)
    assert s["process"]["capabilities"]["bounding"] == ["CAP_CHOWN", "CAP_KILL",
                                                        "CAP_SYS_ADMIN"]


@pytest.mark.parametrize("devices", [
    [DeviceMapping(PathOnHost="/dev/missing")],
    [DeviceMapping(PathOnHost="/dev/zero", CgroupPermissions="rx")],
])
def test_bad_devices_refused(devices: list[DeviceMapping]) -> None:
    with pytest.raises(InvalidArgument):
        validate(container(Devices=devices), HOST)


@pytest.mark.parametrize("mode,ok", [("", True), ("host", True), ("private", False),
                                     ("keep-id", False)])
def test_userns(mode: str, ok: bool) -> None:
    if ok:
        validate(container(UsernsMode=mode), HOST)
    else:
        with pytest.raises(InvalidArgument, match="--userns=host"):
            validate(container(UsernsMode=mode), HOST)


def test_default_path_for_an_image_without_one() -> None:
    env = inp().env
    assert env[0] == "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    own = Container(id="c" * 64, name="n", image_id="sha256:x", created="",
                    config=ContainerConfig(Image="busybox", Hostname="h", Env=["PATH=/opt"]),
                    host_config=HostConfig())
    assert [e for e in build_spec_input(own, R, HOST).env if e.startswith("PATH=")] == \
        ["PATH=/opt"]
