"""One layer blob to its :class:`LayerFiles`, through the cache.

Blobs may be plain tars, gzip or zstd (what pallet's layer code reads).
A seekable plain tar (a blob file in palletd's content store) is walked with
seeks over file contents; a stream is read through once, and hashed when it is
compressed, because the cache and the image config name layers by diff_id.
"""

from __future__ import annotations

from typing import IO, cast

from pallet.oci.layerstream import HashingReader, decompresses, open_uncompressed
from pallet.scancore.cache import LayerCache
from pallet.scancore.layerfiles import read_layer
from pallet.scancore.model import LayerFiles

GZIP = b"\x1f\x8b"


def layer_files(blob: IO[bytes], blob_digest: str, cache: LayerCache | None,
                diff_id: str = "") -> LayerFiles:
    """Read (or recall) the layer in ``blob``; ``diff_id`` when the caller knows it."""
    if cache is not None:
        hit = cache.get(diff_id or blob_digest)
        if hit is not None:
            return hit
    seekable = False
    try:
        seekable = blob.seekable()
    except (AttributeError, OSError, ValueError):
        pass
    if seekable:
        start = blob.tell()
        head = blob.read(2)
        blob.seek(start)
        if head != GZIP:
            found = read_layer(blob, diff_id or blob_digest)
            if cache is not None:
                cache.put(found, blob_digest)
            return found
    stream = open_uncompressed(blob)
    if decompresses(stream) and not diff_id:
        hashing = HashingReader(stream)
        files = read_layer(cast(IO[bytes], hashing), "")
        hashing.drain()
        found = LayerFiles(str(hashing.digest), files.files, files.removed, files.opaque,
                           files.rpmdb)
    else:
        found = read_layer(stream, diff_id or blob_digest)
    if cache is not None:
        cache.put(found, blob_digest)
    return found
