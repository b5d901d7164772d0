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
from pallet.engine.pluginstate import PluginState, RestartState, VolumeState
from pallet.engine.records import Container, ContainerStore
from pallet.system.db import Database
from pallet.volumes.mounts import MountPoint

CID = "c0ffee" + "0" * 58
VOLUME = "/var/lib/pallet/volumes/data/_data"

OLD_EXTRAS: dict[str, Any] = {
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
