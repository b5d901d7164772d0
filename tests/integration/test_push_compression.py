"""Push compresses the layers pallet stores as plain tars (issue 18): gzip by default
(the registry gets gzip blobs and a manifest naming them), zstd on request (an OCI
manifest with ``tar+zstd`` layers that pulls back into the same image, and saves and
loads as it was pulled), none keeps them plain; the compressed digest is remembered, so
a second push is HEADs only."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pallet.errors import InvalidArgument
from pallet.images.load import load
from pallet.images.pull import pull
from pallet.images.push import push
from pallet.images.save import save
from pallet.images.service import ImageService
from pallet.oci import compression
from pallet.oci import mediatypes as mt
from pallet.oci.reference import parse
from pallet.registry.client import RegistryClient
from pallet.testing.registry import RegistryServer
from pallet.testing.registry_images import Log, image_stores, make_image

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for overlayfs"),
]
FILES = [{"etc/os": b"base\n" * 2000, "bin/tool": os.urandom(2048) + b"\0" * 200_000},
         {"app/run": b"echo hi\n" * 5000}]


@pytest.fixture(scope="module")
def reg() -> Iterator[RegistryServer]:
    with RegistryServer.serving() as server:
        yield server


@pytest.fixture
def stores() -> Iterator[Callable[[], ImageService]]:
    with image_stores("pallet-pushz-") as make:
        yield make


def _manifest(reg: RegistryServer, repo: str, tag: str) -> dict[str, object]:
    req = urllib.request.Request(f"http://{reg.host}/v2/{repo}/manifests/{tag}",
                                 headers={"Accept": mt.OCI_MANIFEST})
    with urllib.request.urlopen(req, timeout=10) as resp:
        doc: dict[str, object] = json.load(resp)
    return doc


def _uploads(reg: RegistryServer) -> int:
    return sum(1 for line in reg.log.read_text(errors="replace").splitlines()
               if "PATCH /v2/" in line)


def _layers(doc: dict[str, object]) -> list[dict[str, object]]:
    layers = doc["layers"]
    assert isinstance(layers, list)
    return layers


@pytest.mark.parametrize("algo,media,magic", [
    ("gzip", mt.OCI_LAYER_GZIP, compression.GZIP_MAGIC),
    ("zstd", mt.OCI_LAYER_ZSTD, compression.ZSTD_MAGIC),
])
def test_plain_layers_are_pushed_compressed_once(
        algo: str, media: str, magic: bytes, reg: RegistryServer,
        stores: Callable[[], ImageService], tmp_path: Path) -> None:
    a, b = stores(), stores()
    name = f"{reg.host}/squeeze/{algo}:1"
    iid = make_image(a, name, FILES, compress=False)
    plain = [x.size for x in a.resolve(iid).layers]
    digest = push(a, RegistryClient(reg.host), parse(name), Log(),
                  compression=compression.parse(algo))
    doc = _manifest(reg, f"squeeze/{algo}", "1")
    assert doc["mediaType"] == mt.OCI_MANIFEST
    for desc, size in zip(_layers(doc), plain, strict=True):
        assert desc["mediaType"] == media
        blob = reg.blob_path(str(desc["digest"])).read_bytes()
        assert blob.startswith(magic) and len(blob) == desc["size"] < size
    assert f"{reg.host}/squeeze/{algo}@{digest}" in a.resolve(iid).repo_digests

    # again, and under another tag: HEADs only, nothing compressed or uploaded
    before = _uploads(reg)
    for tag in ("1", "2"):
        a.tag(name, f"{reg.host}/squeeze/{algo}:{tag}")
        log = Log()
        again = push(a, RegistryClient(reg.host), parse(f"{reg.host}/squeeze/{algo}:{tag}"),
                     log, compression=compression.parse(algo))
        assert again == digest
        assert log.statuses().count("Layer already exists") == 2
        assert "Pushing" not in log.statuses()
    assert _uploads(reg) == before

    # it pulls back into the same image, its files extracted from the compressed layers
    pull(b, RegistryClient(reg.host), parse(name), Log())
    img = b.resolve(name)
    assert img.id == iid and img.manifest_digest == digest
    assert [x.media_type for x in img.layers] == [media, media]
    _has_app_run(b, name)

    # saved as pulled (compressed blobs) and loaded into a third store: the same image
    archive = tmp_path / "saved.tar"
    with open(archive, "wb") as out:
        save(b, [name], out)
    c = stores()
    load(c, archive)
    assert c.resolve(name).id == iid
    assert [x.media_type for x in c.resolve(name).layers] == [media, media]
    _has_app_run(c, name)


def _has_app_run(svc: ImageService, name: str) -> None:
    top = svc.snapshotter.dir_of(svc.resolve(name).top_snapshot or "")
    found = [p for p in top.rglob("run") if p.parent.name == "app"]
    assert [p.read_bytes() for p in found] == [FILES[1]["app/run"]]


def test_compression_none_pushes_the_stored_manifest(
        reg: RegistryServer, stores: Callable[[], ImageService]) -> None:
    a = stores()
    name = f"{reg.host}/squeeze/none:1"
    iid = make_image(a, name, FILES, compress=False)
    digest = push(a, RegistryClient(reg.host), parse(name), Log(),
                  compression=compression.parse("none"))
    assert digest == a.resolve(iid).manifest_digest
    assert [d["mediaType"] for d in _layers(_manifest(reg, "squeeze/none", "1"))] == [
        mt.OCI_LAYER, mt.OCI_LAYER]


def test_bad_compression_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="invalid compression 'lz4'"):
        compression.parse("lz4")
    with pytest.raises(InvalidArgument, match="1 to 9"):
        compression.parse("gzip", 12)
    assert compression.parse("zstd").level == 3
