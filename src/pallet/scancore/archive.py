"""Read an image out of a ``docker save`` archive stream, in one pass.

Both archive shapes are understood: the docker-archive (``manifest.json`` naming
``Config`` and ``Layers`` paths) and the OCI image layout (``index.json`` ->
manifest -> config and layers), which Docker 25+ and palletd write together.
Small members (configs, manifests) are kept in memory; each large one is walked
as a layer as it streams past, so the archive never lands on disk. Layers the
cache already holds are skipped unread.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import msgspec

from pallet.errors import InvalidArgument
from pallet.scancore.cache import LayerCache
from pallet.scancore.layers import layer_files
from pallet.scancore.model import LayerFiles
from pallet.scancore.tarwalk import TarWalk

SMALL = 4 << 20
Progress = Callable[[str], None]


@dataclass
class SavedImage:
    image_id: str  # sha256 of the config
    config: dict[str, Any]
    config_raw: bytes
    layers: list[LayerFiles]  # bottom first


def _digest_of(path: str) -> str:
    """``blobs/sha256/<hex>`` -> ``sha256:<hex>``; "" for other names (Docker 24 and
    older name layers ``<v1 id>/layer.tar``, an ID that is no digest of the layer)."""
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == "blobs":
        return f"{parts[1]}:{parts[2]}"
    return ""


def read_saved(stream: IO[bytes], cache: LayerCache | None,
               progress: Progress | None = None) -> SavedImage:
    """The first image of a save archive, with each layer's files."""
    small: dict[str, bytes] = {}
    layers: dict[str, LayerFiles] = {}
    walk = TarWalk(stream)
    for m in walk:
        if m.size == 0:
            continue
        if m.size <= SMALL:
            small[m.name] = walk.read(SMALL)
            continue
        digest = _digest_of(m.name)
        if progress:
            progress(f"reading layer {digest or m.name} ({m.size >> 20} MB)")
        layers[m.name] = layer_files(walk.stream(), digest, cache if digest else None)
    config_path, layer_paths = _pick(small)
    raw = small.get(config_path)
    if raw is None:
        raise InvalidArgument(f"save archive: the config {config_path} is missing")
    out: list[LayerFiles] = []
    for p in layer_paths:
        if p not in layers:
            data = small.get(p)
            if data is None:
                raise InvalidArgument(f"save archive: layer {p} is missing")
            digest = _digest_of(p)
            layers[p] = layer_files(io.BytesIO(data), digest, cache if digest else None)
        out.append(layers[p])
    import hashlib

    config = json.loads(raw)
    return SavedImage("sha256:" + hashlib.sha256(raw).hexdigest(), config, raw,
                      _named_by_config(out, config, cache))


def _named_by_config(layers: list[LayerFiles], config: dict[str, Any],
                     cache: LayerCache | None) -> list[LayerFiles]:
    """The layers under the config's diff_ids (the manifest lists them in that order):
    what a layer read under another name is cached as."""
    diff_ids = [str(d) for d in (config.get("rootfs") or {}).get("diff_ids") or []]
    if len(diff_ids) != len(layers):
        raise InvalidArgument(f"save archive: {len(layers)} layers for {len(diff_ids)} "
                              "diff_ids in the config")
    out = []
    for lf, diff_id in zip(layers, diff_ids, strict=True):
        if lf.diff_id != diff_id:
            lf = msgspec.structs.replace(lf, diff_id=diff_id)
            if cache is not None:
                cache.put(lf)
        out.append(lf)
    return out


def _pick(small: dict[str, bytes]) -> tuple[str, list[str]]:
    """(config path, layer paths) from ``manifest.json`` or ``index.json``."""
    try:
        if "manifest.json" in small:
            doc = json.loads(small["manifest.json"])
            if isinstance(doc, list) and doc:
                return str(doc[0]["Config"]), [str(x) for x in doc[0]["Layers"]]
        if "index.json" in small:
            index = json.loads(small["index.json"])
            desc = index["manifests"][0]
            manifest = json.loads(small[_blob_path(desc["digest"])])
            if "manifests" in manifest:  # a nested index: take its first manifest
                manifest = json.loads(small[_blob_path(manifest["manifests"][0]["digest"])])
            return (_blob_path(manifest["config"]["digest"]),
                    [_blob_path(x["digest"]) for x in manifest["layers"]])
    except (KeyError, IndexError, TypeError, ValueError) as e:
        raise InvalidArgument(f"save archive: unreadable manifest ({e})") from None
    raise InvalidArgument("not a docker save archive: no manifest.json or index.json")


def _blob_path(digest: str) -> str:
    algo, _, hexpart = str(digest).partition(":")
    return f"blobs/{algo}/{hexpart}"
