"""The volume view as dockerd shows it."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from pallet.engine.volplug.service import VolumeService
from pallet.errors import InvalidArgument
from pallet.system.db import Database
from pallet.volumes.store import VolumeStore


class NoContainers:
    def all(self) -> list[object]:
        return []


def test_created_at_is_whole_seconds(tmp_path: Path) -> None:
    store = VolumeStore(Database(tmp_path / "db"), tmp_path / "volumes")
    svc = VolumeService(store, NoContainers())  # type: ignore[arg-type]
    rec = store.create("data", "2026-11-29T17:43:05.123456Z", {"a": "1"})
    view = svc.view(rec)
    assert view.CreatedAt == "2026-11-29T17:43:05Z"
    assert view.Name == "data" and view.Labels == {"a": "1"} and view.Scope == "local"
    rec = store.create("plain", "2026-11-29T17:43:05Z")
    assert svc.view(rec).CreatedAt == "2026-11-29T17:43:05Z"


def test_wire_keys_in_dockerd_order_usage_only_when_measured(tmp_path: Path) -> None:
    store = VolumeStore(Database(tmp_path / "db"), tmp_path / "volumes")
    svc = VolumeService(store, NoContainers())  # type: ignore[arg-type]
    rec = store.create("data", "2026-11-29T17:43:05Z", {}, {"o": "size=1m"})
    doc = msgspec.json.decode(msgspec.json.encode(svc.view(rec)))
    assert list(doc) == ["CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options",
                         "Scope"]
    assert doc["Labels"] == {} and doc["Options"] == {"o": "size=1m"}
    assert doc["Mountpoint"] == str(store.path("data"))
    plain = msgspec.json.decode(msgspec.json.encode(svc.view(store.create("plain", "x"),
                                                             usage=True)))
    assert plain["Options"] is None
    assert list(plain["UsageData"].items()) == [("RefCount", 0), ("Size", 0)]
    listed = msgspec.json.decode(msgspec.json.encode(svc.list({})))
    assert [v["Name"] for v in listed["Volumes"]] == ["data", "plain"]
    assert listed["Warnings"] == []


def test_create_body_checked(tmp_path: Path) -> None:
    store = VolumeStore(Database(tmp_path / "db"), tmp_path / "volumes")
    svc = VolumeService(store, NoContainers())  # type: ignore[arg-type]
    for body, message in (({"Name": "v" * 300}, "at most 255 characters"),
                          ({"Name": "lab", "Labels": ["a"]}, "$.Labels"),
                          ({"Name": "opt", "DriverOpts": {"o": 1}}, "$.DriverOpts")):
        with pytest.raises(InvalidArgument) as err:
            svc.create(body)
        assert message in err.value.message and str(tmp_path) not in err.value.message
    assert store.all() == []
