"""Commit images: an active snapshot's changes become a layer; a config and layers
become an image record (builds and ``docker commit``).

A layer is stored uncompressed (as Docker's local store keeps them: one sha256
pass, no gzip; digest == diff_id) and the active snapshot itself is committed
under the layer's chain ID, so no extraction happens. If that chain already exists
(the same change on the same parent), the existing snapshot is reused.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pallet.errors import Conflict
from pallet.images.model import Layer
from pallet.images.stage import StagedImage
from pallet.oci import manifest as om
from pallet.oci import mediatypes as mt
from pallet.oci.digest import chain_id
from pallet.snapshots.diff import is_empty, prune_mountpoints, write_layer

if TYPE_CHECKING:
    from pallet.images.service import ImageService


def lower_dirs(svc: ImageService, key: str) -> list[Path]:
    """The read-only layer dirs under active snapshot ``key``, top-most first."""
    out: list[Path] = []
    for m in svc.snapshotter.mounts(key):
        for opt in m.options:
            if opt.startswith("lowerdir="):
                out.extend(Path(p) for p in opt[len("lowerdir=") :].split(":"))
    return out


def commit_layer(
    svc: ImageService,
    key: str,
    parent_chain: str | None,
    *,
    epoch: int | None = None,
    mountpoints: Iterable[str] = (),
) -> Layer | None:
    """Turn active snapshot ``key`` into a committed layer on ``parent_chain``.

    The snapshot is consumed: committed (or removed when empty or already present).
    ``mountpoints``: destinations mounted while it ran; placeholders for them are
    dropped first. Returns None when nothing changed.
    """
    try:
        upper, _ = svc.snapshotter.writable_dir(key)
        if mountpoints:
            prune_mountpoints(upper, lower_dirs(svc, key), mountpoints)
        if is_empty(upper):
            svc.snapshotter.remove(key)
            return None
        with svc.content.writer() as w:
            stats = write_layer(upper, w, epoch=epoch)  # type: ignore[arg-type]
            digest = w.commit()
            size = w.size
        cid = chain_id(parent_chain, digest)
        with svc.lock:
            if svc.snapshotter.exists(cid):
                svc.snapshotter.remove(key)
            else:
                try:
                    svc.snapshotter.commit(cid, key)
                except Conflict:
                    svc.snapshotter.remove(key)
        return Layer(str(digest), str(digest), mt.OCI_LAYER, size, stats.content_size, str(cid))
    except BaseException:
        with contextlib.suppress(Exception):
            if svc.snapshotter.exists(key):
                svc.snapshotter.remove(key)
        raise


def commit_image(
    svc: ImageService, config: dict[str, Any], layers: list[Layer], names: Iterable[str] = ()
) -> str:
    """Publish an image whose config is ``config`` (its ``rootfs`` is set from ``layers``);
    returns the image ID. ``names`` are tagged to it."""
    doc = dict(config)
    doc["rootfs"] = {"type": "layers", "diff_ids": [x.diff_id for x in layers]}
    data, digest = om.encode(doc)
    image_id = str(digest)
    stage = svc.new_stage()
    try:
        stage.blob_bytes(data, image_id)
        img = StagedImage(data, image_id, list(layers))
        svc.finish_manifest(stage, img)
        if svc.records.get(image_id) is None:
            svc.publish([img])
    except BaseException:
        stage.rollback()
        raise
    for name in names:
        svc.tag(image_id, name)
    return image_id


