"""An image's inventory from the Engine API or a ``docker save`` file.

Through the API: ``GET /images/{name}/json`` names the image and its layers
(diff_ids); when the cache holds its config and every layer, nothing more is
read. Otherwise ``GET /images/{name}/get`` (``docker save``) streams the image
once through :func:`pallet.scancore.archive.read_saved`. Works against palletd
and dockerd alike.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from pallet.client import Client
from pallet.client.http import Response
from pallet.errors import NotFound
from pallet.scancore.cache import LayerCache
from pallet.scancore.model import Inventory, LayerFiles

Progress = Callable[[int, int, str], None]  # (done, total, what)


class _Reader:
    """A response body as the file ``read_saved`` walks."""

    def __init__(self, resp: Response) -> None:
        self._resp = resp

    def read(self, n: int = -1) -> bytes:
        return self._resp.read_exact(n) if n >= 0 else self._resp.raw.read()

    def seekable(self) -> bool:
        return False


def _cached(cache: LayerCache, image_id: str) -> tuple[dict[str, Any], list[LayerFiles]] | None:
    config = cache.get_config(image_id)
    if config is None:
        return None
    layers = []
    for diff_id in (config.get("rootfs") or {}).get("diff_ids") or []:
        hit = cache.get(str(diff_id))
        if hit is None:
            return None
        layers.append(hit)
    return config, layers


def from_engine(api: Client, name: str, cache: LayerCache,
                progress: Progress | None = None) -> Inventory:
    """The inventory of image ``name`` as the daemon has it."""
    info = api.images.inspect(name)
    image_id = str(info.get("Id", ""))
    if image_id.startswith("sha256:"):
        known = cache.get_inventory(image_id, name)
        if known is not None:
            return known
        hit = _cached(cache, image_id)
        if hit is not None:
            from pallet.scancore.inventory import build, layer_infos

            config, layers = hit
            inv = build(name, image_id, layer_infos(config), layers)
            cache.put_inventory(inv)
            return inv
    total = len((info.get("RootFS") or {}).get("Layers") or [])
    resp = api.images.save([name])
    try:
        inv = _from_stream(_Reader(resp), name, cache, total, progress)
    finally:
        resp.close()
    cache.put_inventory(inv)
    return inv


def from_file(path: Path, cache: LayerCache, progress: Progress | None = None) -> Inventory:
    """The inventory of the (first) image in a ``docker save`` archive."""
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below; read_saved walks it
    except FileNotFoundError:
        raise NotFound(f"{path}: no such file") from None
    with f:
        return _from_stream(f, str(path), cache, 0, progress)


def _from_stream(stream: IO[bytes] | _Reader, name: str, cache: LayerCache, total: int,
                 progress: Progress | None) -> Inventory:
    from pallet.scancore.archive import read_saved  # tar and gzip: not on the cached path
    from pallet.scancore.inventory import build, layer_infos

    done = [0]

    def step(what: str) -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], max(total, done[0]), what)

    saved = read_saved(stream, cache, step)  # type: ignore[arg-type]
    cache.put_config(saved.image_id, saved.config_raw)
    if progress is not None:
        progress(max(total, done[0]), max(total, done[0]), "done")
    return build(name, saved.image_id, layer_infos(saved.config), saved.layers)
