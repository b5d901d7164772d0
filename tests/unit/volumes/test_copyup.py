"""Volume copy-up (pallet.volumes.copyup) on plain directories: content, modes, links, and
symlinks that must not lead the copy out of the container's root."""

from __future__ import annotations

import asyncio
import os
import stat
import time
from pathlib import Path

import pytest

from pallet.errors import PalletError
from pallet.volumes import copyup
from pallet.volumes.copyup import CopyUp, copy_up


def _tree(root: Path) -> Path:
    data = root / "var" / "lib" / "db"
    (data / "sub").mkdir(parents=True)
    (data / "conf").write_text("setting=1\n")
    os.chmod(data / "conf", 0o640)
    (data / "sub" / "deep").write_bytes(b"x" * 70000)
    os.link(data / "conf", data / "sub" / "conf-link")
    os.symlink("/etc/passwd", data / "passwd-link")
    os.mkfifo(data / "fifo")
    os.chmod(data / "sub", 0o750)
    os.chmod(data, 0o700)
    os.utime(data / "conf", ns=(1_000_000_000, 2_000_000_000))
    return data


def test_copies_content_modes_links_and_keeps_symlinks_as_they_are(tmp_path: Path) -> None:
    rootfs, vol = tmp_path / "rootfs", tmp_path / "vol"
    src = _tree(rootfs)
    vol.mkdir(mode=0o755)
    assert copy_up(rootfs, "/var/lib/db", vol) is CopyUp.COPIED
    assert (vol / "conf").read_text() == "setting=1\n"
    assert (vol / "sub" / "deep").stat().st_size == 70000
    assert stat.S_IMODE((vol / "conf").stat().st_mode) == 0o640
    assert stat.S_IMODE((vol / "sub").stat().st_mode) == 0o750
    assert stat.S_IMODE(vol.stat().st_mode) == 0o700  # the volume takes the directory's mode
    assert (vol / "conf").stat().st_mtime_ns == 2_000_000_000
    assert (vol / "conf").stat().st_ino == (vol / "sub" / "conf-link").stat().st_ino
    assert os.readlink(vol / "passwd-link") == "/etc/passwd"  # copied, not followed
    assert stat.S_ISFIFO((vol / "fifo").stat().st_mode)
    assert (src / "conf").read_text() == "setting=1\n"


def test_an_empty_source_directory_still_hands_over_its_mode(tmp_path: Path) -> None:
    rootfs, vol = tmp_path / "rootfs", tmp_path / "vol"
    (rootfs / "data").mkdir(parents=True, mode=0o755)
    os.chmod(rootfs / "data", 0o1770)
    vol.mkdir(mode=0o755)
    assert copy_up(rootfs, "/data", vol) is CopyUp.COPIED
    assert stat.S_IMODE(vol.stat().st_mode) == 0o1770
    assert os.listdir(vol) == []


def test_a_volume_holding_data_is_left_alone(tmp_path: Path) -> None:
    rootfs, vol = tmp_path / "rootfs", tmp_path / "vol"
    _tree(rootfs)
    vol.mkdir()
    (vol / "mine").write_text("keep")
    assert copy_up(rootfs, "/var/lib/db", vol) is CopyUp.NOT_EMPTY
    assert os.listdir(vol) == ["mine"]


def test_symlinks_on_the_way_resolve_inside_the_root(tmp_path: Path) -> None:
    rootfs, vol, outside = tmp_path / "rootfs", tmp_path / "vol", tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("host file")
    rootfs.mkdir()
    os.symlink(f"../../../../../../..{outside}", rootfs / "data")  # climbs with ..
    os.symlink(str(outside), rootfs / "abs")                       # absolute
    vol.mkdir()
    assert copy_up(rootfs, "/data", vol) is CopyUp.NO_SOURCE
    assert copy_up(rootfs, "/abs", vol) is CopyUp.NO_SOURCE
    assert os.listdir(vol) == []
    # inside the root the same absolute link leads to the image's own directory
    (rootfs / str(outside).lstrip("/")).mkdir(parents=True)
    (rootfs / str(outside).lstrip("/") / "image-file").write_text("image")
    assert copy_up(rootfs, "/abs", vol) is CopyUp.COPIED
    assert os.listdir(vol) == ["image-file"]


def test_no_directory_in_the_image(tmp_path: Path) -> None:
    rootfs, vol = tmp_path / "rootfs", tmp_path / "vol"
    rootfs.mkdir()
    (rootfs / "file").write_text("not a dir")
    vol.mkdir()
    assert copy_up(rootfs, "/missing", vol) is CopyUp.NO_SOURCE
    assert copy_up(rootfs, "/file", vol) is CopyUp.NO_SOURCE


def test_a_failed_copy_removes_what_it_made_and_nothing_else(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rootfs, vol = tmp_path / "rootfs", tmp_path / "vol"
    _tree(rootfs)
    vol.mkdir()
    real = copyup._data
    calls = []

    def failing(s: int, d: int, size: int) -> None:
        calls.append(size)
        if len(calls) == 1:  # copying "conf", the first entry
            (vol / "passwd-link").write_text("another writer's")  # a name it comes to later
            (vol / "theirs").write_text("another writer's")
            raise OSError(28, "No space left on device")
        real(s, d, size)

    monkeypatch.setattr(copyup, "_data", failing)
    with pytest.raises(PalletError, match="No space left on device"):
        copy_up(rootfs, "/var/lib/db", vol)
    assert sorted(os.listdir(vol)) == ["passwd-link", "theirs"]  # the half-copied conf is gone
    assert (vol / "passwd-link").read_text() == "another writer's"


def test_containers_sharing_a_new_volume_start_together(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two starts at once over one new volume: one copy, both starts succeed."""
    real = copyup._open_source

    def slow(rootfs: Path, destination: str) -> int | None:
        time.sleep(0.2)  # between the emptiness check and the copy: unlocked copies overlap
        return real(rootfs, destination)

    monkeypatch.setattr(copyup, "_open_source", slow)
    from pallet.api.models import ContainerConfig, HostConfig
    from pallet.engine.plugins import StartContext
    from pallet.engine.pluginstate import PluginState, VolumeState
    from pallet.engine.records import Container
    from pallet.engine.volplug.plugin import VolumePlugin
    from pallet.system.db import Database
    from pallet.volumes.mounts import MountPoint
    from pallet.volumes.store import VolumeStore

    rootfs = tmp_path / "rootfs"
    _tree(rootfs)
    store = VolumeStore(Database(tmp_path / "db"), tmp_path / "volumes")
    store.create("shared", "now")
    plugin = VolumePlugin(store, records=None, rootfs_of=lambda cid: rootfs)  # type: ignore[arg-type]

    def ctr(cid: str) -> Container:
        mounts = [MountPoint(type="volume", name="shared", destination="/var/lib/db",
                             source=str(store.path("shared")))]
        return Container(id=cid, name=cid, image_id="sha256:x", created="",
                         config=ContainerConfig(), host_config=HostConfig(),
                         extras=PluginState(volumes=VolumeState(mounts=mounts)))

    async def both() -> None:
        await asyncio.gather(plugin.prepare(ctr("a"), StartContext()),
                             plugin.prepare(ctr("b"), StartContext()))

    asyncio.run(both())
    assert (store.path("shared") / "conf").read_text() == "setting=1\n"
    assert store.resolve("shared").populated
