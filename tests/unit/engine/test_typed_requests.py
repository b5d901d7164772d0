"""The create body's mount options, port and volume sets and endpoint IPAM config are typed
(api/models) and still travel as before: decoded with Go's rules, refused with the field's
path when of the wrong type, echoed by inspect as sent, and records stored before load.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from pallet.api.models import (
    BindOptions,
    CreateRequest,
    DeviceMapping,
    DriverConfig,
    Empty,
    EndpointIPAMConfig,
    TmpfsOptions,
    VolumeOptions,
    decode,
)
from pallet.api.view_config import ConfigView
from pallet.api.view_hostconfig import HostConfigView
from pallet.engine.records import ContainerStore
from pallet.system.db import Database

MOUNTS: list[dict[str, Any]] = [
    {"Target": "/b", "Source": "/srv", "Type": "bind", "ReadOnly": True,
     "BindOptions": {"Propagation": "rshared", "NonRecursive": True,
                     "CreateMountpoint": True, "ReadOnlyNonRecursive": True,
                     "ReadOnlyForceRecursive": True}},
    {"Target": "/v", "Source": "data", "Type": "volume",
     "VolumeOptions": {"NoCopy": True, "Labels": {"a": "b"},
                       "DriverConfig": {"Name": "local", "Options": {"o": "bind"}},
                       "Subpath": "sub"}},
    {"Target": "/t", "Type": "tmpfs",
     "TmpfsOptions": {"SizeBytes": 1024, "Mode": 0o1777, "Options": [["exec"]]}},
    {"Target": "/plain", "Source": "v2", "Type": "volume", "VolumeOptions": {}},
]
BODY: dict[str, Any] = {
    "Image": "busybox", "ExposedPorts": {"80/tcp": {}, "53/udp": {}},
    "Volumes": {"/data": {}},
    "HostConfig": {"Mounts": MOUNTS},
    "NetworkingConfig": {"EndpointsConfig": {"net": {
        "IPAMConfig": {"IPv4Address": "10.1.0.5", "IPv6Address": "fd00::5",
                       "LinkLocalIPs": ["169.254.1.1"]}}}},
}


def _req(body: dict[str, Any]) -> CreateRequest:
    return decode(json.dumps(body).encode(), CreateRequest)


def test_the_options_decode_into_their_types() -> None:
    req = _req(BODY)
    assert req.ExposedPorts == {"80/tcp": Empty(), "53/udp": Empty()}
    assert req.Volumes == {"/data": Empty()}
    assert req.HostConfig is not None and req.HostConfig.Mounts is not None
    bind, vol, tmpfs, plain = req.HostConfig.Mounts
    assert bind.BindOptions == BindOptions("rshared", True, True, True, True)
    assert vol.VolumeOptions == VolumeOptions(True, {"a": "b"},
                                              DriverConfig("local", {"o": "bind"}), "sub")
    assert tmpfs.TmpfsOptions == TmpfsOptions(1024, 0o1777, [["exec"]])
    assert plain.VolumeOptions == VolumeOptions()
    assert req.NetworkingConfig is not None and req.NetworkingConfig.EndpointsConfig
    ep = req.NetworkingConfig.EndpointsConfig["net"]
    assert ep is not None and ep.IPAMConfig == EndpointIPAMConfig(
        "10.1.0.5", "fd00::5", ["169.254.1.1"])


def test_inspect_echoes_the_request_byte_for_byte() -> None:
    req = _req(BODY)
    assert req.HostConfig is not None
    host = msgspec.convert(msgspec.to_builtins(req.HostConfig), HostConfigView)
    assert msgspec.json.encode(host.Mounts) == json.dumps(MOUNTS, separators=(",", ":")).encode()
    config = msgspec.convert(msgspec.to_builtins(req), ConfigView)
    doc = json.loads(msgspec.json.encode(config))
    assert (doc["ExposedPorts"], doc["Volumes"]) == (BODY["ExposedPorts"], BODY["Volumes"])


def test_go_rules_null_set_values_case_and_unset_options() -> None:
    req = _req({"exposedports": {"80/tcp": None}, "HostConfig": {"Mounts": [
        {"Target": "/b", "Type": "bind", "Source": "/s", "BindOptions": {"propagation": "slave",
                                                                         "NonRecursive": None}}]}})
    assert req.ExposedPorts == {"80/tcp": Empty()}
    assert req.HostConfig is not None and req.HostConfig.Mounts is not None
    assert req.HostConfig.Mounts[0].BindOptions == BindOptions(Propagation="slave")
    assert msgspec.json.encode(req.HostConfig.Mounts[0]) == (
        b'{"Target":"/b","Source":"/s","Type":"bind","BindOptions":{"Propagation":"slave"}}')


@pytest.mark.parametrize(("body", "path"), [
    ({"HostConfig": {"Mounts": [{"Target": "/t", "TmpfsOptions": {"Mode": "x"}}]}},
     "$.HostConfig.Mounts[0].TmpfsOptions.Mode"),
    ({"HostConfig": {"Mounts": [{"Target": "/t", "BindOptions": "rshared"}]}},
     "$.HostConfig.Mounts[0].BindOptions"),
    ({"HostConfig": {"Mounts": [{"Target": "/t", "VolumeOptions": {"Labels": ["a"]}}]}},
     "$.HostConfig.Mounts[0].VolumeOptions.Labels"),
    ({"ExposedPorts": {"80/tcp": 1}}, "$.ExposedPorts[...]"),
    ({"Volumes": ["/data"]}, "$.Volumes"),
    ({"HostConfig": {"Devices": [{"PathOnHost": 1}]}}, "$.HostConfig.Devices[0].PathOnHost"),
    ({"HostConfig": {"Devices": ["/dev/zero"]}}, "$.HostConfig.Devices[0]"),
    ({"NetworkingConfig": {"EndpointsConfig": {"n": {"IPAMConfig": {"IPv4Address": 5}}}}},
     "$.NetworkingConfig.EndpointsConfig[...].IPAMConfig.IPv4Address"),
])
def test_a_wrong_type_names_the_field(body: dict[str, Any], path: str) -> None:
    with pytest.raises(msgspec.ValidationError) as err:
        _req(body)
    assert path in str(err.value)


OLD_CONFIG: dict[str, Any] = {"Image": "busybox", "ExposedPorts": {"80/tcp": {}, "81/tcp": None},
                              "Volumes": {"/data": {}}}
OLD_HOST: dict[str, Any] = {"Mounts": [
    {"Target": "/b", "Source": "/srv", "Type": "bind", "BindOptions": {"Propagation": "rslave"}},
    {"Target": "/v", "Source": "data", "VolumeOptions": {"NoCopy": True, "Labels": {"a": "b"}}},
    {"Target": "/t", "Type": "tmpfs", "TmpfsOptions": {"SizeBytes": 64, "Mode": None}},
]}
OLD_NETWORKING: dict[str, Any] = {"EndpointsConfig": {"net": {
    "IPAMConfig": {"IPv4Address": "10.1.0.5", "LinkLocalIPs": ["169.254.1.1"]}}}}


def test_a_record_stored_with_untyped_options_loads(tmp_path: Path) -> None:
    record = {"id": "c" * 64, "name": "old", "image_id": "sha256:" + "1" * 64,
              "created": "2026-01-01T00:00:00Z", "config": OLD_CONFIG,
              "host_config": OLD_HOST, "networking": OLD_NETWORKING, "status": "exited"}
    store = ContainerStore(Database(tmp_path / "pallet.db"))
    store._db.execute("INSERT INTO containers(id, name, data) VALUES(?, ?, ?)",
                      (record["id"], record["name"], json.dumps(record).encode()))
    c = store.resolve("old")
    assert c.config.ExposedPorts == {"80/tcp": Empty(), "81/tcp": Empty()}
    assert c.config.Volumes == {"/data": Empty()}
    mounts = c.host_config.Mounts or []
    assert [m.BindOptions for m in mounts] == [BindOptions("rslave"), None, None]
    assert mounts[1].VolumeOptions == VolumeOptions(NoCopy=True, Labels={"a": "b"})
    assert mounts[2].TmpfsOptions == TmpfsOptions(SizeBytes=64)
    assert c.networking is not None and c.networking.EndpointsConfig is not None
    ep = c.networking.EndpointsConfig["net"]
    assert ep is not None
    assert ep.IPAMConfig == EndpointIPAMConfig("10.1.0.5", LinkLocalIPs=["169.254.1.1"])
    assert [c.id for c in store.all()] == [record["id"]]


def test_devices_are_typed_and_keep_their_wire_shape(tmp_path: Path) -> None:
    """A device decodes into a DeviceMapping (nulls and any key case as Go reads them),
    inspect shows all three fields as sent, and a record stored as a plain dict loads."""
    sent = [{"PathOnHost": "/dev/zero", "PathInContainer": "/dev/z", "CgroupPermissions": "r"}]
    req = _req({"HostConfig": {"Devices": [*sent, {"pathonhost": "/dev/null",
                                                   "CgroupPermissions": None}]}})
    assert req.HostConfig is not None and req.HostConfig.Devices == [
        DeviceMapping("/dev/zero", "/dev/z", "r"), DeviceMapping(PathOnHost="/dev/null")]
    host = msgspec.convert(msgspec.to_builtins(req.HostConfig), HostConfigView)
    assert json.loads(msgspec.json.encode(host.Devices)) == [*sent, {
        "PathOnHost": "/dev/null", "PathInContainer": "", "CgroupPermissions": ""}]
    record = {"id": "d" * 64, "name": "olddev", "image_id": "sha256:" + "1" * 64,
              "created": "2026-01-01T00:00:00Z", "config": {"Image": "busybox"},
              "host_config": {"Devices": [{"PathOnHost": "/dev/zero"}]}, "status": "exited"}
    store = ContainerStore(Database(tmp_path / "pallet.db"))
    store._db.execute("INSERT INTO containers(id, name, data) VALUES(?, ?, ?)",
                      (record["id"], record["name"], json.dumps(record).encode()))
    assert store.resolve("olddev").host_config.Devices == [DeviceMapping(PathOnHost="/dev/zero")]
