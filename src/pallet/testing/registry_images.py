"""Small images for registry tests: throw-away image stores, layers from
``{path: bytes}`` (gzip'd or plain tars), an image published into an ImageService under
a name, and a recorder of the progress messages pull and push emit.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pallet.oci import manifest as om
from pallet.oci import mediatypes as mt
from pallet.oci.reference import parse

if TYPE_CHECKING:
    from pallet.images.service import ImageService


@contextlib.contextmanager
def image_stores(prefix: str = "pallet-regimg-") -> Iterator[Callable[[], ImageService]]:
    """Makes empty image stores (own root each); closes and removes them all afterwards."""
    from pallet.images.service import ImageService
    from pallet.system.db import Database
    from pallet.system.paths import Paths

    made: list[tuple[Database, Path]] = []

    def make() -> ImageService:
        d = Path(tempfile.mkdtemp(prefix=prefix))
        paths = Paths(root=d / "root", run=d / "run")
        db = Database(paths.db)
        made.append((db, d))
        return ImageService(db, paths)

    try:
        yield make
    finally:
        for db, d in made:
            db.close()
            shutil.rmtree(d, ignore_errors=True)


def layer_tar(files: dict[str, bytes], compress: bool = True) -> bytes:
    """A layer holding ``files`` (fixed mtimes: the same files give the same bytes)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tf.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0) if compress else raw.getvalue()


def make_image(svc: ImageService, name: str, layers: list[dict[str, bytes]],
               arch: str = "amd64", compress: bool = True) -> str:
    """Publish an image of ``layers`` named ``name``; its ID."""
    from pallet.images.stage import StagedImage

    stage = svc.new_stage()
    staged = []
    parent = None
    for files in layers:
        digest = stage.blob_bytes(layer_tar(files, compress))
        layer = stage.layer(parent, digest, None, mt.OCI_LAYER_GZIP if compress else mt.OCI_LAYER)
        staged.append(layer)
        parent = layer.chain_id
    config = om.image_config(created="2024-01-01T00:00:00Z", architecture=arch,
                             diff_ids=[x.diff_id for x in staged],
                             config={"Cmd": ["/bin/sh"]})
    cbytes = om.canonical_json(config)
    image_id = stage.blob_bytes(cbytes)
    img = StagedImage(cbytes, image_id, staged, [str(parse(name))] if name else [])
    svc.finish_manifest(stage, img)
    svc.publish([img])
    return image_id


class Log:
    """Collects emitted progress messages."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def __call__(self, item: dict[str, Any]) -> None:
        self.items.append(item)

    def statuses(self, short: str | None = None) -> list[str]:
        return [str(i.get("status")) for i in self.items if short is None or i.get("id") == short]
