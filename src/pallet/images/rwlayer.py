"""A container's writable layer, read in place (``docker diff`` and ``docker commit``).

The container's active snapshot is never changed: its upper dir is read (what the
runtime made only to mount on is left out, as :func:`prune_mountpoints` would drop
it, and the per-container ``/etc`` files always are), the layer tar goes into the
content store, and that blob is unpacked into a new committed snapshot on the
image's chain, so the container keeps running on its own upper dir.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pallet.errors import Unsupported
from pallet.images.commit import commit_image, lower_dirs
from pallet.images.model import Layer
from pallet.oci import mediatypes as mt
from pallet.snapshots.changes import Change, overlay_changes
from pallet.snapshots.diff import prune_mountpoints, write_layer

if TYPE_CHECKING:
    from pallet.images.service import ImageService
    from pallet.images.stage import Stage

# bind-mounted from the container's bundle: never part of its layer
ETC_BINDS = ("etc/hostname", "etc/hosts", "etc/resolv.conf")


@dataclass(frozen=True)
class RwLayer:
    upper: Path
    lowers: list[Path]  # top-most first
    exclude: tuple[str, ...]  # relative paths left out, with what is under them


def open_rw(svc: ImageService, key: str, mountpoints: Iterable[str]) -> RwLayer:
    """The writable layer of active snapshot ``key``; ``mountpoints``: the destinations
    the container's runtime mounted on (its ``config.json``)."""
    upper, mode = svc.snapshotter.writable_dir(key)
    if mode != "overlay":
        raise Unsupported("commit and diff need the overlay snapshotter (palletd as root)")
    lowers = lower_dirs(svc, key)
    placeholders = prune_mountpoints(upper, lowers, [*mountpoints, *ETC_BINDS], dry_run=True)
    return RwLayer(upper, lowers, tuple(dict.fromkeys([*ETC_BINDS, *placeholders])))


def changes(rw: RwLayer) -> list[Change]:
    return overlay_changes(rw.upper, rw.lowers, rw.exclude)


def _copy_layer(svc: ImageService, stage: Stage, rw: RwLayer,
                parent_chain: str | None) -> Layer | None:
    """The upper dir as a new committed layer on ``parent_chain``; None when empty."""
    with svc.content.writer() as w:
        stats = write_layer(rw.upper, w, exclude=rw.exclude)  # type: ignore[arg-type]
        if stats.entries == 0:
            w.abort()
            return None
        existed = svc.content.exists(w.digest)
        digest = w.commit()
    if not existed:
        stage.new_blobs.append(digest)
    return stage.layer(parent_chain, digest, str(digest), mt.OCI_LAYER)


def commit_rw(svc: ImageService, rw: RwLayer, parent_layers: list[Layer],
              make_config: Callable[[bool], dict[str, Any]]) -> str:
    """Publish an image: ``parent_layers`` + the writable layer (if it holds anything),
    with the config ``make_config(empty_layer)``; returns the image ID."""
    stage = svc.new_stage()
    with svc.gate.busy():
        try:
            parent_chain = parent_layers[-1].chain_id if parent_layers else None
            layer = _copy_layer(svc, stage, rw, parent_chain)
            layers = [*parent_layers, layer] if layer is not None else list(parent_layers)
            return commit_image(svc, make_config(layer is None), layers)
        except BaseException:
            stage.rollback()
            raise
