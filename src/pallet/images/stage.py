"""Staging for operations that add images (load, import, bootstrap).

Blobs and snapshots are written first and remembered; if anything fails,
:meth:`Stage.rollback` deletes exactly what this operation created, so the
store is unchanged. Records are published afterwards in one DB transaction.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import IO, BinaryIO

from pallet.content.store import LocalContentStore
from pallet.errors import DataCorruption
from pallet.images.model import Layer
from pallet.oci import mediatypes as mt
from pallet.oci.digest import Digest, chain_id
from pallet.oci.layerstream import drain
from pallet.oci.layertar import ApplyResult, scan_layer
from pallet.snapshots.apply import apply_layer_result
from pallet.snapshots.base import Snapshotter


@dataclass
class StagedImage:
    config_bytes: bytes
    image_id: str
    layers: list[Layer]
    names: list[str] = field(default_factory=list)  # normalised references
    manifest_digest: str | None = None


class Stage:
    def __init__(self, content: LocalContentStore, snapshotter: Snapshotter) -> None:
        self.content = content
        self.snapshotter = snapshotter
        self.new_blobs: list[str] = []
        self.new_snapshots: list[str] = []

    def blob_from(
        self, src: IO[bytes], expected_digest: str | None = None, expected_size: int | None = None
    ) -> tuple[Digest, int]:
        """Copy ``src`` into the store, verified; returns (digest, size)."""
        if expected_digest is not None and self.content.exists(expected_digest):
            # still verify the incoming bytes: a corrupt archive must not pass silently
            with self.content.writer() as w:
                w.copy_from(src)
                if w.digest != expected_digest or (
                    expected_size is not None and w.size != expected_size
                ):
                    raise DataCorruption(
                        f"blob digest mismatch: got {w.digest}, expected {expected_digest}"
                    )
                return Digest(expected_digest), w.size
        with self.content.writer() as w:
            w.copy_from(src)
            existed = self.content.exists(w.digest)
            d = w.commit(expected_digest, expected_size)
            if not existed:
                self.new_blobs.append(d)
            return d, w.size

    def blob_bytes(self, data: bytes, expected_digest: str | None = None) -> Digest:
        import io

        return self.blob_from(io.BytesIO(data), expected_digest)[0]

    def layer(
        self, parent: str | None, digest: str, diff_id: str | None, media_type: str | None = None,
        src: BinaryIO | None = None,
    ) -> Layer:
        """Unpack blob ``digest`` on top of chain ``parent`` (verifying ``diff_id``).

        With ``src`` (the blob while it downloads: a pull) the layer is read from it; the
        blob is in the store once ``src`` ends, and ``media_type`` must be given.
        """
        path = self.content.path(digest)
        if src is not None:
            assert media_type is not None
            cid, applied, created = apply_layer_result(self.snapshotter, parent, src, diff_id)
            if applied is None:  # the snapshot was there: the blob is stored at src's end
                drain(src)
            return self._applied(digest, media_type, path.stat().st_size, cid, applied, created)
        size = path.stat().st_size
        if media_type is None:
            with open(path, "rb") as f:
                head = f.read(4)
            media_type = (mt.OCI_LAYER_GZIP if head[:2] == b"\x1f\x8b" else
                          mt.OCI_LAYER_ZSTD if head == b"\x28\xb5\x2f\xfd" else mt.OCI_LAYER)
        cid_known = chain_id(parent, diff_id) if diff_id is not None else None
        if cid_known is not None and self.snapshotter.exists(cid_known):
            res = scan_layer(path)
            if res.diff_id != diff_id:
                raise DataCorruption(
                    f"layer {digest}: content does not match diff_id {diff_id} (got {res.diff_id})"
                )
            return Layer(digest, res.diff_id, media_type, size, res.content_size, cid_known)
        cid, applied, created = apply_layer_result(self.snapshotter, parent, path, diff_id)
        return self._applied(digest, media_type, size, cid, applied, created)

    def _applied(self, digest: str, media_type: str, size: int, cid: str,
                 applied: ApplyResult | None, created: bool) -> Layer:
        if applied is None:  # pragma: no cover - raced with another writer
            applied = scan_layer(self.content.path(digest))
        if created:
            self.new_snapshots.append(cid)
        return Layer(digest, applied.diff_id, media_type, size, applied.content_size, cid)

    def rollback(self) -> None:
        for key in reversed(self.new_snapshots):
            with contextlib.suppress(Exception):
                self.snapshotter.remove(key)
        for d in self.new_blobs:
            self.content.delete(d)
        self.new_snapshots.clear()
        self.new_blobs.clear()
