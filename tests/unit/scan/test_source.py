"""The client side's image source: docker save through the Engine API, once; later
scans of the same image answer from the cache without asking for the archive."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, cast

from pallet.client import Client
from pallet.scan.source import from_engine
from pallet.scancore.cache import LayerCache
from pallet.testing.scan_images import DEBIAN_OS_RELEASE, dpkg_stanza, layer_tar, save_archive


class _Body:
    def __init__(self, data: bytes) -> None:
        self.raw = io.BytesIO(data)

    def read_exact(self, n: int) -> bytes:
        return self.raw.read(n)

    def close(self) -> None:
        pass


class _Images:
    """``client.images``' inspect and save of one image, counting the saves."""

    def __init__(self, archive: bytes, image_id: str) -> None:
        self.archive, self.image_id, self.saves = archive, image_id, 0

    def inspect(self, ref: str) -> dict[str, Any]:
        return {"Id": self.image_id, "RootFS": {"Layers": ["a", "b"]}}

    def save(self, names: list[str]) -> _Body:
        self.saves += 1
        return _Body(self.archive)


class _Engine:
    def __init__(self, archive: bytes, image_id: str) -> None:
        self.images = _Images(archive, image_id)


def test_second_scan_needs_no_save(tmp_path: Path) -> None:
    from pallet.scancore.archive import read_saved

    layer = layer_tar({"etc/os-release": DEBIAN_OS_RELEASE,
                       "var/lib/dpkg/status": dpkg_stanza("bash", "5.2.15-2+b2").encode()})
    archive = save_archive([layer], ["ADD rootfs"])
    image_id = read_saved(io.BytesIO(archive), None).image_id
    engine = _Engine(archive, image_id)
    cache = LayerCache(tmp_path)
    steps: list[tuple[int, int]] = []
    first = from_engine(cast(Client, engine), "app:1", cache,
                        lambda done, total, _: steps.append((done, total)))
    assert [p.name for p in first.packages] == ["bash"]
    assert steps[-1] == (2, 2)
    again = from_engine(cast(Client, engine), "app:2", cache)
    assert engine.images.saves == 1
    assert again.image == "app:2" and again.packages == first.packages
    # without the merged inventory, the cached config and layers still spare the save
    for p in cache.root.joinpath("images").iterdir():
        p.unlink()
    assert from_engine(cast(Client, engine), "app:1", cache) == first
    assert engine.images.saves == 1
