"""ImageService: image records, names and lifecycle, over a content store and a snapshotter.

The service is the images layer's face to the engine: reading and naming images here,
and the longer stories in sibling modules it delegates to (:mod:`.names`,
:mod:`.removal`, :mod:`.history`, :mod:`.save`, :mod:`.load`, ...).
Long operations (load, save, import, bootstrap) are synchronous; the engine
runs them in a worker thread. Compound changes hold ``self.lock`` and publish
records in one DB transaction.
"""

from __future__ import annotations

import builtins
import json
import os
import threading
from pathlib import Path
from typing import Any, BinaryIO

from pallet.api.responses import HistoryItem
from pallet.content.store import LocalContentStore
from pallet.errors import InvalidArgument, NotFound
from pallet.images import gc, removal
from pallet.images import history as _history
from pallet.images.gcgate import GcGate
from pallet.images.model import Image
from pallet.images.names import familiar, resolve_id
from pallet.images.records import ImageRecords, ImageRow
from pallet.images.removal import InUse
from pallet.images.stage import Stage, StagedImage
from pallet.oci import manifest as om
from pallet.oci import mediatypes as mt
from pallet.oci import reference
from pallet.snapshots.base import Snapshotter
from pallet.snapshots.mount import Mount
from pallet.system.db import Database
from pallet.system.paths import Paths


def default_snapshotter(paths: Paths) -> Snapshotter:
    if os.geteuid() == 0:
        from pallet.snapshots.overlay import OverlaySnapshotter

        return OverlaySnapshotter(paths.snapshots)
    from pallet.snapshots.naive import NaiveSnapshotter

    return NaiveSnapshotter(paths.snapshots)


class ImageService:
    def __init__(
        self,
        db: Database,
        paths: Paths,
        snapshotter: Snapshotter | None = None,
        content: LocalContentStore | None = None,
    ) -> None:
        self.db = db
        self.paths = paths
        self.records = ImageRecords(db)
        self.content = content or LocalContentStore(paths.content)
        self.snapshotter = snapshotter or default_snapshotter(paths)
        self.lock = threading.RLock()
        # operations that add snapshots or blobs hold it; garbage collection waits for them
        self.gate = GcGate()
        self._listed: tuple[int, builtins.list[Image]] = (-1, [])

    # -- reading -----------------------------------------------------------
    def _image(self, row: ImageRow, refs: builtins.list[tuple[str, str]] | None = None) -> Image:
        if refs is None:
            refs = self.records.refs_of(row.id)
        config = json.loads(row.config_bytes)
        return Image(
            id=row.id,
            repo_tags=[familiar(n) for n, k in refs if k == "tag"],
            repo_digests=[familiar(n) for n, k in refs if k == "digest"],
            config=config,
            size=row.size,
            created=str(config.get("created") or ""),
            top_snapshot=row.top_snapshot,
            layers=row.layers,
            manifest_digest=row.manifest_digest,
            last_tag_time=row.last_tag_time,
        )

    def get(self, image_id: str) -> Image:
        row = self.records.get(image_id)
        if row is None:
            raise NotFound(f"No such image: {image_id}")
        return self._image(row)

    def _resolve_id(self, ref: str) -> tuple[str, bool]:
        """(image id, whether ``ref`` named it by ID) or NotFound/InvalidArgument."""
        return resolve_id(self.records, ref)

    def resolve(self, ref: str) -> Image:
        return self.get(self._resolve_id(ref)[0])

    def list(self) -> builtins.list[Image]:
        """Every image, newest first. Read from the database once per change to it: the
        hot reads (``GET /images/json``, ``/info``) do no per-request decoding."""
        generation = self.db.generation
        cached_at, images = self._listed
        if cached_at != generation:
            refs = self.records.all_refs()
            images = [self._image(r, refs.get(r.id, [])) for r in self.records.all()]
            self._listed = (generation, images)
        return list(images)

    def exists(self, ref: str) -> bool:
        try:
            self._resolve_id(ref)
            return True
        except NotFound:
            return False

    # -- names -------------------------------------------------------------
    def tag(self, ref: str, new_name: str) -> None:
        image_id, _ = self._resolve_id(ref)
        r = reference.parse(new_name)
        if r.digest:
            raise InvalidArgument("refusing to create a tag with a digest reference")
        with self.lock, self.db.tx() as conn:
            self.records.set_ref(conn, str(r), image_id, "tag")

    # -- removal -----------------------------------------------------------
    def remove(
        self,
        ref: str,
        force: bool = False,
        noprune: bool = False,
        in_use: InUse = lambda _id: False,
    ) -> builtins.list[dict[str, str]]:
        """Docker's ``DELETE /images/{name}``; returns Untagged/Deleted records."""
        return removal.remove(self, ref, force, in_use)

    def prune(
        self, dangling_only: bool = True, in_use: InUse = lambda _id: False
    ) -> dict[str, Any]:
        """``POST /images/prune``: dangling images, or all unused ones (``-a``)."""
        return removal.prune(self, dangling_only, in_use)

    def collect(self, keep: gc.KeepKeys) -> gc.Report | None:
        """Mark and sweep the store (``keep``: snapshot keys of containers); None when
        operations are in flight and the sweep runs once they end."""
        return gc.collect(self, keep)

    # -- history -----------------------------------------------------------
    def history(self, ref: str) -> builtins.list[HistoryItem]:
        return _history.history(self.resolve(ref))

    # -- containers' root filesystems ----------------------------------------
    def rootfs_mounts(self, image: Image | None, container_key: str) -> builtins.list[Mount]:
        """A writable snapshot for a container on top of ``image`` (scratch if None)."""
        return self.snapshotter.prepare(container_key, image.top_snapshot if image else None)

    def release(self, container_key: str) -> None:
        """Remove a container's snapshot; also drops layers of images deleted meanwhile."""
        removal.release(self, container_key)

    def graph_driver_data(self, image: Image) -> dict[str, str]:
        """``GraphDriver.Data`` for inspect: the layer dirs, as overlay2 shows them."""
        root = Path(getattr(self.snapshotter, "root", self.paths.snapshots))
        dirs: builtins.list[str] = []
        for layer in reversed(image.layers):
            try:
                info = self.snapshotter.stat(layer.chain_id)
            except NotFound:
                continue
            dirs.append(str(root / "s" / info.id / "diff"))
        if not dirs:
            return {}
        data = {"MergedDir": "", "UpperDir": dirs[0], "WorkDir": ""}
        if len(dirs) > 1:
            data["LowerDir"] = ":".join(dirs[1:])
        return data

    # -- adding images ------------------------------------------------------
    def new_stage(self) -> Stage:
        return Stage(self.content, self.snapshotter)

    def finish_manifest(self, stage: Stage, img: StagedImage) -> None:
        """Store an OCI manifest for ``img`` unless it came with one."""
        if img.manifest_digest:
            return
        config_desc = om.descriptor(mt.OCI_CONFIG, img.image_id, len(img.config_bytes))
        layers = [om.descriptor(x.media_type, x.digest, x.size) for x in img.layers]
        data, _ = om.encode(om.manifest(config_desc, layers))
        img.manifest_digest = stage.blob_bytes(data)

    def publish(self, images: builtins.list[StagedImage]) -> builtins.list[str]:
        """Record staged images and their names in one transaction; Docker's load lines."""
        import time

        lines: builtins.list[str] = []
        with self.lock, self.db.tx() as conn:
            for img in images:
                row = ImageRow(
                    img.image_id,
                    img.config_bytes,
                    img.manifest_digest,
                    img.layers,
                    sum(x.content_size for x in img.layers),
                    img.layers[-1].chain_id if img.layers else None,
                    time.time(),
                    None,
                )
                self.records.insert(conn, row)
                if not img.names:
                    lines.append(f"Loaded image ID: {img.image_id}")
                for name in img.names:
                    kind = "digest" if "@" in name else "tag"
                    old = self.records.set_ref(conn, name, img.image_id, kind)
                    fam = familiar(name)
                    if old:
                        lines.append(
                            f"The image {fam} already exists, renaming the old one with ID"
                            f" {old} to empty string"
                        )
                    lines.append(f"Loaded image: {fam}")
        return lines

    # -- archives and base images (implemented in sibling modules) --------
    def save(self, refs: builtins.list[str], out: BinaryIO) -> None:
        from pallet.images.save import save

        save(self, refs, out, oci_only=False)

    def save_oci(self, refs: builtins.list[str], out: BinaryIO) -> None:
        from pallet.images.save import save

        save(self, refs, out, oci_only=True)

    def load(self, archive: Path) -> builtins.list[str]:
        from pallet.images.load import load

        with self.gate.busy():
            return load(self, archive)

    def import_tar(
        self,
        archive: Path,
        ref: str | None = None,
        config: dict[str, Any] | None = None,
        message: str = "",
    ) -> str:
        """``docker import``: ``config`` is the image's ``config`` object (the caller
        applied the ``--change`` lines)."""
        from pallet.images.importer import import_tar

        with self.gate.busy():
            return import_tar(self, archive, ref, config or {}, message)

    def bootstrap(self, name: str) -> str:
        from pallet.images.bootstrap import bootstrap

        with self.gate.busy():
            return bootstrap(self, name)
