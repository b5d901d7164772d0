"""Pull and push throughput through a local docker-registry, against the floor of
gzip decompression plus sha256 on the same bytes.

    python3 bench/registry_pull_push.py [DIR ...]    (default: /usr/lib/python3)

Builds a one-layer image from DIR (tar + gzip level 6), pushes it to a fresh
registry on 127.0.0.1, pulls it into an empty store, and prints MB/s (of the
compressed blob) for push, pull (download + verify + apply) and the floor.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import sys
import tarfile
import tempfile
import time
import zlib
from pathlib import Path

from pallet.images.pull import pull
from pallet.images.push import push
from pallet.images.service import ImageService
from pallet.images.stage import StagedImage
from pallet.oci import manifest as om
from pallet.oci import mediatypes as mt
from pallet.oci.reference import parse
from pallet.registry.client import RegistryClient
from pallet.system.db import Database
from pallet.system.paths import Paths
from pallet.testing.registry import RegistryServer


def store(base: Path) -> tuple[ImageService, Database]:
    paths = Paths(root=base / "root", run=base / "run")
    db = Database(paths.db)
    return ImageService(db, paths), db


def floor(blob: bytes) -> float:
    t0 = time.perf_counter()
    hashlib.sha256(blob).hexdigest()
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    h = hashlib.sha256()
    for i in range(0, len(blob), 1 << 20):
        h.update(d.decompress(blob[i:i + (1 << 20)]))
    return time.perf_counter() - t0


def gzip_floor(tar: bytes, level: int = 6) -> float:
    """Seconds to gzip ``tar`` (zlib at ``level``, one core) and sha256 the output."""
    t0 = time.perf_counter()
    z = zlib.compressobj(level, zlib.DEFLATED, 31)
    h = hashlib.sha256()
    for i in range(0, len(tar), 1 << 20):
        h.update(z.compress(tar[i:i + (1 << 20)]))
    h.update(z.flush())
    return time.perf_counter() - t0


def main(dirs: list[str]) -> None:
    base = Path(tempfile.mkdtemp(prefix="pallet-bench-reg-"))
    reg = RegistryServer(base / "reg")
    reg.start()
    a, dba = store(base / "a")
    b, dbb = store(base / "b")
    try:
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as tf:
            for d in dirs:
                tf.add(d, arcname=d.lstrip("/"))
        blob = gzip.compress(raw.getvalue(), compresslevel=6, mtime=0)
        stage = a.new_stage()
        digest = stage.blob_bytes(blob)
        layer = stage.layer(None, digest, None, mt.OCI_LAYER_GZIP)
        cfg = om.canonical_json(om.image_config(created="2024-01-01T00:00:00Z",
                                                diff_ids=[layer.diff_id]))
        iid = stage.blob_bytes(cfg)
        name = f"{reg.host}/bench/big:1"
        img = StagedImage(cfg, iid, [layer], [str(parse(name))])
        a.finish_manifest(stage, img)
        a.publish([img])
        mb = len(blob) / 1e6
        print(f"layer: {mb:.1f} MB gzip, {len(raw.getvalue()) / 1e6:.1f} MB tar")
        t0 = time.perf_counter()
        push(a, RegistryClient(reg.host), parse(name), lambda _m: None)
        tp = time.perf_counter() - t0
        t0 = time.perf_counter()
        pull(b, RegistryClient(reg.host), parse(name), lambda _m: None)
        tl = time.perf_counter() - t0
        tf_ = floor(blob)
        print(f"push  {tp:6.2f} s  {mb / tp:7.1f} MB/s")
        print(f"pull  {tl:6.2f} s  {mb / tl:7.1f} MB/s  (download+verify+extract)")
        print(f"floor {tf_:6.2f} s  {mb / tf_:7.1f} MB/s  (sha256 blob + gunzip + sha256 tar)")
    finally:
        reg.close()
        dba.close()
        dbb.close()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["/usr/lib/python3"])
