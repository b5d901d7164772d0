"""Container records saved before plugin state was typed still load (engine/pluginstate).

The record below is the JSON a palletd of before wrote to the ``containers`` table: the
plugins' state as a plain object under ``extras`` with string keys. It is put into the
table as it was and read back through ``ContainerStore``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from pallet.api.models import ContainerConfig, HostConfig
from pallet.engine.health import HealthState, ProbeResult
from pallet.engine.pluginstate import (
    Endpoint,
    NetworkEntry,
    PluginState,
    RestartState,
    VolumeState,
)
from pallet.engine.records import Container, ContainerStore
from pallet.network.netdoc import PortMapping
from pallet.system.db import Database
from pallet.volumes.mounts import MountPoint

CID = "c0ffee" + "0" * 58
VOLUME = "/var/lib/pallet/volumes/data/_data"

NID = "a" * 64
PUBLISHED = {"host_ip": "", "container_port": 80, "host_port": 8080, "range": 1,
             "protocol": "tcp"}
OLD_DOC: dict[str, Any] = {
    "container_id": CID, "container_name": "web",
    "networks": {"pallet0": {"static_ips": ["10.88.0.5"], "aliases": ["c0ffee000000"],
                             "interface_name": "eth0"}},
    "network_info": {"pallet0": {
        "name": "pallet0", "id": NID, "driver": "bridge", "network_interface": "pallet0",
        "subnets": [{"subnet": "10.88.0.0/16", "gateway": "10.88.0.1"}],
        "ipv6_enabled": False, "internal": False, "dns_enabled": False,
        "ipam_options": {"driver": "host-local"}, "options": {"isolate": "true"}}},
    "port_mappings": [PUBLISHED], "dns_servers": None,
}

OLD_EXTRAS: dict[str, Any] = {
    "network": {
        "networks": [{"id": NID, "name": "bridge", "aliases": [], "ip": "", "ip6": "",
                      "links": ["db:database"], "mac": "", "driver_opts": {},
                      "link_local": []}],
        "docs": [OLD_DOC], "ports": [PUBLISHED], "netns": "/run/pallet/netns/c0ffee-1",
        "endpoints": {NID: {"ip": "10.88.0.5", "prefix": 16, "gateway": "10.88.0.1",
                            "mac": "ae:1f:00:00:00:01", "endpoint": "e" * 64,
                            "interface": "eth0"}},
        "mode": "bridge", "dns": ["10.88.0.1"], "search": [],
    },
    "volumes": {
        "mounts": [
            {"Type": "volume", "Name": "data", "Destination": "/data", "Driver": "local",
             "Mode": "z", "RW": True, "Propagation": "", "nocopy": False, "Source": VOLUME},
            {"Type": "bind", "Source": "/srv/conf", "Destination": "/conf", "Mode": "",
             "RW": False, "Propagation": "rprivate", "create_host_path": True},
            {"Type": "tmpfs", "Source": "", "Destination": "/scratch", "Mode": "", "RW": True,
             "Propagation": "", "size": 1024, "mode": 0o1777},
        ],
        "anonymous": ["f" * 64],
    },
    "health": {"Status": "unhealthy", "FailingStreak": 3, "Log": [
        {"Start": "2026-01-01T00:00:00Z", "End": "2026-01-01T00:00:01Z", "ExitCode": 1,
         "Output": "no\n"}]},
    "restart": {"delay": 0.2},
}


def _old_record() -> dict[str, Any]:
    return {"id": CID, "name": "web", "image_id": "sha256:" + "1" * 64,
            "created": "2026-01-01T00:00:00Z", "config": {"Image": "busybox"},
            "host_config": {}, "status": "exited", "extras": OLD_EXTRAS}


def _store_with(tmp_path: Path, record: dict[str, Any]) -> ContainerStore:
    store = ContainerStore(Database(tmp_path / "pallet.db"))
    store._db.execute("INSERT INTO containers(id, name, data) VALUES(?, ?, ?)",
                      (record["id"], record["name"], json.dumps(record).encode()))
    return store


def test_a_record_saved_before_the_types_loads_with_every_slice(tmp_path: Path) -> None:
    c = _store_with(tmp_path, _old_record()).resolve("web")
    net = c.extras.network
    assert net is not None and net.mode == "bridge" and net.set_up
    assert net.networks == [NetworkEntry(id=NID, name="bridge", links=["db:database"])]
    assert net.endpoints == {NID: Endpoint(ip="10.88.0.5", prefix=16, gateway="10.88.0.1",
                                           mac="ae:1f:00:00:00:01", endpoint="e" * 64,
                                           interface="eth0")}
    assert net.ports == [PortMapping("", 8080, 80)] == net.docs[0].port_mappings
    assert net.docs[0].networks["pallet0"].static_ips == ["10.88.0.5"]
    assert net.docs[0].network_info["pallet0"].id == NID
    assert (net.netns, net.dns) == ("/run/pallet/netns/c0ffee-1", ["10.88.0.1"])
    assert c.extras.volumes == VolumeState(
        mounts=[MountPoint(type="volume", name="data", destination="/data", mode="z",
                           source=VOLUME),
                MountPoint(type="bind", source="/srv/conf", destination="/conf", rw=False,
                           propagation="rprivate", create_host_path=True),
                MountPoint(type="tmpfs", destination="/scratch", driver="local", size=1024,
                           tmpfs_mode=0o1777)],
        anonymous=["f" * 64])
    assert c.extras.health == HealthState("unhealthy", 3, (
        ProbeResult("2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", 1, "no\n"),))
    assert c.extras.restart == RestartState(delay=0.2)


def test_saving_again_keeps_the_keys_an_older_palletd_reads(tmp_path: Path) -> None:
    store = _store_with(tmp_path, _old_record())
    store.save(store.resolve("web"))
    row = store._db.one("SELECT data FROM containers WHERE id=?", (CID,))
    assert row is not None
    extras = json.loads(row["data"])["extras"]
    assert extras["health"] == OLD_EXTRAS["health"]
    # netavark's teardown gets the very document its setup got
    assert extras["network"]["docs"] == [OLD_DOC]
    for key in ("networks", "ports", "netns", "mode", "dns", "search"):
        assert extras["network"][key] == OLD_EXTRAS["network"][key]
    old_ep = OLD_EXTRAS["network"]["endpoints"][NID]
    assert {k: extras["network"]["endpoints"][NID][k] for k in old_ep} == old_ep
    assert extras["restart"] == OLD_EXTRAS["restart"]
    saved = {m["Destination"]: m for m in extras["volumes"]["mounts"]}
    for old in OLD_EXTRAS["volumes"]["mounts"]:
        assert {k: saved[old["Destination"]][k] for k in old} == old


def test_a_record_without_extras_or_with_an_unknown_slice_loads(tmp_path: Path) -> None:
    bare = {k: v for k, v in _old_record().items() if k != "extras"}
    assert _store_with(tmp_path, bare).resolve("web").extras == PluginState()
    odd = {**_old_record(), "id": "d" * 64, "name": "odd", "extras": {"gone-plugin": {"x": 1}}}
    assert _store_with(tmp_path / "b", odd).resolve("odd").extras == PluginState()


def test_a_new_record_saves_only_the_slices_plugins_wrote() -> None:
    c = Container(id=CID, name="web", image_id="", created="", config=ContainerConfig(),
                  host_config=HostConfig())
    c.extras.restart = RestartState(delay=1.0)
    assert msgspec.to_builtins(c)["extras"] == {"restart": {"delay": 1.0}}
