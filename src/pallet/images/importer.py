"""``docker import``: a root filesystem tar (maybe gzip'd) becomes a one-layer image."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pallet.errors import DataCorruption, InvalidArgument
from pallet.images.changes import apply_changes
from pallet.images.stage import StagedImage
from pallet.notation.times import now_rfc3339
from pallet.oci import manifest as om
from pallet.oci import reference
from pallet.oci.layerstream import open_uncompressed

if TYPE_CHECKING:
    from pallet.images.service import ImageService




def import_tar(
    svc: ImageService, archive: Path, ref: str | None, changes: list[str], message: str
) -> str:
    """Import ``archive``; returns the new image ID. ``ref`` names it (``repo[:tag]``)."""
    name = str(reference.parse(ref)) if ref else None
    if name and "@" in name:
        raise InvalidArgument("refusing to create a tag with a digest reference")
    cfg = apply_changes({}, changes)
    stage = svc.new_stage()
    try:
        with open(archive, "rb") as raw:
            try:
                digest, _ = stage.blob_from(open_uncompressed(raw))
            except (EOFError, zlib.error, gzip.BadGzipFile) as e:
                raise DataCorruption(f"invalid compressed archive: {e}") from None
        layer = stage.layer(None, digest, None)
        created = now_rfc3339()
        msg = message or "Imported from -"
        config = om.image_config(
            created=created,
            diff_ids=[layer.diff_id],
            config=cfg,
            history=[{"created": created, "comment": msg}],
            comment=msg,
            **_platform(),
        )
        config_bytes, image_id = om.encode(config)
        stage.blob_bytes(config_bytes, image_id)
        img = StagedImage(config_bytes, image_id, [layer], [name] if name else [])
        svc.finish_manifest(stage, img)
        svc.publish([img])
        return image_id
    except BaseException:
        stage.rollback()
        raise


def _platform() -> dict[str, Any]:
    p = om.host_platform()
    return {"architecture": p["architecture"], "os": p["os"]}
