"""The hot reads' container list: decoded once per database change, never stale."""

from __future__ import annotations

from pathlib import Path

from pallet.api.models import ContainerConfig, HostConfig
from pallet.engine.lifecycle import State
from pallet.engine.records import Container, ContainerStore
from pallet.system.db import Database


def _container(cid: str, name: str, build_step: bool = False) -> Container:
    return Container(id=cid * 64, name=name, image_id="sha256:" + "b" * 64, created="",
                     config=ContainerConfig(Image="busybox"), host_config=HostConfig(),
                     path="sh", build_step=build_step)


def test_listed_is_shared_until_the_database_changes(tmp_path: Path) -> None:
    store = ContainerStore(Database(tmp_path / "db"))
    store.add(_container("a", "web"))
    store.add(_container("s", "step", build_step=True))
    first, again = store.listed(), store.listed()
    assert [c.name for c in first] == ["web"]
    assert again[0] is first[0] and again is not first  # one decode, the caller's own list
    c = store.resolve("web")
    c.status = State.RUNNING
    store.save(c)
    assert store.listed()[0].status == State.RUNNING
    store.add(_container("d", "db"))
    assert sorted(c.name for c in store.listed()) == ["db", "web"]
    store.delete("d" * 64)
    assert [c.name for c in store.listed()] == ["web"]
