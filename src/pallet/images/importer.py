"""``docker import``: a root filesystem tar (maybe gzip'd) becomes a one-layer image."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pallet.errors import DataCorruption, InvalidArgument
from pallet.images.stage import StagedImage
from pallet.notation.times import now_rfc3339
from pallet.oci import manifest as om
from pallet.oci import reference
from pallet.oci.layerstream import open_uncompressed

if TYPE_CHECKING:
    from pallet.images.service import ImageService
    from pallet.images.stage import Stage
    from pallet.oci.digest import Digest




def import_tar(
    svc: ImageService, archive: Path, ref: str | None, cfg: dict[str, Any], message: str
) -> str:
    """Import ``archive``; returns the new image ID. ``ref`` names it (``repo[:tag]``)."""
    name = str(reference.parse(ref)) if ref else None
    if name and "@" in name:
        raise InvalidArgument("refusing to create a tag with a digest reference")
    created = now_rfc3339()
    msg = message or "Imported from -"

    def write(stage: Stage) -> tuple[Digest, dict[str, Any]]:
        with open(archive, "rb") as raw:
            try:
                digest, _ = stage.blob_from(open_uncompressed(raw))
            except (EOFError, zlib.error, gzip.BadGzipFile) as e:
                raise DataCorruption(f"invalid compressed archive: {e}") from None
        return digest, {"created": created, "comment": msg}

    p = om.host_platform()
    return publish_one_layer(svc, write, names=[name] if name else [], config=cfg,
                             created=created, comment=msg, architecture=p["architecture"],
                             os=p["os"])


def publish_one_layer(svc: ImageService, write: Callable[[Stage], tuple[Digest, dict[str, Any]]],
                      *, names: list[str], config: dict[str, Any], created: str,
                      **fields: Any) -> str:
    """Publish an image of one layer: ``write`` stores the layer blob in the stage and
    answers its digest and the history entry. ``fields`` go into the image config
    (platform, comment). Nothing is left behind on failure. Returns the image ID."""
    stage = svc.new_stage()
    try:
        digest, history = write(stage)
        layer = stage.layer(None, digest, None)
        doc = om.image_config(created=created, diff_ids=[layer.diff_id], config=config,
                              history=[history], **fields)
        config_bytes, image_id = om.encode(doc)
        stage.blob_bytes(config_bytes, image_id)
        img = StagedImage(config_bytes, image_id, [layer], names)
        svc.finish_manifest(stage, img)
        svc.publish([img])
        return image_id
    except BaseException:
        stage.rollback()
        raise
