"""Layer codecs: what push compresses, pull/load read back (gzip, zstd, plain), the media
types a compressed layer gets, and the flags' validation."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
from pathlib import Path

import pytest

from pallet.errors import DataCorruption, InvalidArgument
from pallet.oci import compression as c
from pallet.oci import mediatypes as mt
from pallet.oci.layerstream import decompresses, open_uncompressed
from pallet.oci.layertar import scan_layer
from pallet.testing.scan_images import tar_of

TAR_FILES = {"etc/hello": b"hello\n" * 1000, "bin/blob": os.urandom(2000) + bytes(60_000)}


def _tar() -> bytes:
    return tar_of(TAR_FILES.items())


def _compress(data: bytes, how: c.Compression) -> bytes:
    z = c.compressor(how)
    out = b"".join(z.compress(data[i:i + 4096]) for i in range(0, len(data), 4096))
    return out + z.flush()


@pytest.mark.parametrize("algo,magic", [("gzip", c.GZIP_MAGIC), ("zstd", c.ZSTD_MAGIC)])
def test_compressed_layers_read_back_to_the_same_tar(algo: str, magic: bytes,
                                                     tmp_path: Path) -> None:
    tar = _tar()
    blob = _compress(tar, c.parse(algo, 1))
    assert blob.startswith(magic) and len(blob) < len(tar)
    stream = open_uncompressed(io.BytesIO(blob))
    assert decompresses(stream) and stream.read() == tar
    path = tmp_path / "layer"
    path.write_bytes(blob)
    res = scan_layer(path)
    assert res.diff_id == "sha256:" + hashlib.sha256(tar).hexdigest()
    assert res.entries == 2


def test_gzip_output_is_read_by_the_standard_library() -> None:
    tar = _tar()
    assert gzip.decompress(_compress(tar, c.parse("gzip", 9))) == tar


def test_plain_tars_pass_through() -> None:
    tar = _tar()
    stream = open_uncompressed(io.BytesIO(tar))
    assert not decompresses(stream) and stream.read() == tar


def test_a_truncated_zstd_layer_is_corruption(tmp_path: Path) -> None:
    blob = _compress(_tar(), c.parse("zstd"))
    path = tmp_path / "layer"
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DataCorruption, match="truncated or not a valid tar"):
        scan_layer(path)


def test_media_types_follow_the_manifest_kind() -> None:
    assert c.layer_media(mt.OCI_MANIFEST, "gzip") == mt.OCI_LAYER_GZIP
    assert c.layer_media(mt.DOCKER_MANIFEST, "gzip") == mt.DOCKER_LAYER_GZIP
    assert c.layer_media(mt.OCI_MANIFEST, "zstd") == mt.OCI_LAYER_ZSTD
    assert mt.DOCKER_LAYER_ZSTD in mt.LAYERS


def test_flags_are_validated() -> None:
    assert c.parse(None) == c.GZIP
    assert c.parse("ZSTD", 19) == c.Compression("zstd", 19)
    with pytest.raises(InvalidArgument, match="choose one of gzip, zstd, none"):
        c.parse("brotli")
    with pytest.raises(InvalidArgument, match="1 to 22"):
        c.parse("zstd", 0)
    with pytest.raises(InvalidArgument, match="for none"):
        c.parse("none", 3)
    assert c.parse("gzip", 6).key != c.parse("gzip", 1).key
