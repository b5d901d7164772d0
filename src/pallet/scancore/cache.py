"""The inventory cache: what each layer holds, keyed by its digest.

A layer's :class:`LayerFiles` is stored as msgpack under its diff_id (an alias
names it by the compressed blob digest too), and an image's config and merged
inventory under its ID, so a second scan of an image, or of another image on the
same base layers, reads no layer again. Entries live under a format version
(``v{FORMAT}``): a pallet that reads layers differently starts a fresh cache.
Writes are atomic; an unreadable entry counts as a miss.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import msgspec

from pallet.scancore.model import Inventory, LayerFiles
from pallet.system.atomic import write_bytes

FORMAT = 2  # bump when what a layer's files or an inventory hold changes
_enc = msgspec.msgpack.Encoder()
_dec = msgspec.msgpack.Decoder(LayerFiles)
_dec_inv = msgspec.msgpack.Decoder(Inventory)


def _hex(digest: str) -> str:
    algo, _, hexpart = digest.partition(":")
    if not hexpart or algo != "sha256" or not all(c in "0123456789abcdef" for c in hexpart):
        raise ValueError(f"not a sha256 digest: {digest!r}")
    return hexpart


def default_root() -> Path:
    """``$XDG_CACHE_HOME/pallet/scan`` (``~/.cache/pallet/scan``): the CLI's cache."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pallet" / "scan"


class LayerCache:
    def __init__(self, root: Path) -> None:
        self.root = root / f"v{FORMAT}"

    def _layer(self, digest: str) -> Path:
        return self.root / "layers" / f"{_hex(digest)}.msgpack"

    def get(self, digest: str) -> LayerFiles | None:
        """The layer's files by diff_id or blob digest; None when not cached."""
        try:
            path = self._layer(digest)
            if not path.exists():
                alias = self.root / "alias" / _hex(digest)
                path = self._layer(alias.read_text().strip())
            return _dec.decode(path.read_bytes())
        except (OSError, ValueError, msgspec.DecodeError):
            return None

    def put(self, layer: LayerFiles, blob_digest: str = "") -> None:
        write_bytes(self._layer(layer.diff_id), _enc.encode(layer), durable=False)
        if blob_digest and blob_digest != layer.diff_id:
            write_bytes(self.root / "alias" / _hex(blob_digest), layer.diff_id.encode(),
                        durable=False)

    def get_inventory(self, image_id: str, name: str) -> Inventory | None:
        """The merged inventory of an image (under ``name``, as asked for this time)."""
        try:
            inv = _dec_inv.decode((self.root / "images" / f"{_hex(image_id)}.msgpack")
                                  .read_bytes())
        except (OSError, ValueError, msgspec.DecodeError):
            return None
        return msgspec.structs.replace(inv, image=name)

    def put_inventory(self, inv: Inventory) -> None:
        write_bytes(self.root / "images" / f"{_hex(inv.image_id)}.msgpack", _enc.encode(inv),
                    durable=False)

    def get_config(self, image_id: str) -> dict[str, Any] | None:
        try:
            doc = json.loads((self.root / "configs" / f"{_hex(image_id)}.json").read_bytes())
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def put_config(self, image_id: str, raw: bytes) -> None:
        write_bytes(self.root / "configs" / f"{_hex(image_id)}.json", raw, durable=False)
