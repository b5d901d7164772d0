"""``docker save``: one tar that is both a docker-archive and an OCI image layout.

Docker 20.10-24 read ``manifest.json`` (``Config``/``RepoTags``/``Layers``
paths) and ``repositories``; Docker 25+ and containerd read ``oci-layout`` +
``index.json``. Both point at the same ``blobs/sha256/<hex>`` files, as
Docker 25 writes them. Entries are written in a fixed order with fixed
metadata, so the same images give the same archive.
"""

from __future__ import annotations

import io
import json
import tarfile
from typing import TYPE_CHECKING, Any, BinaryIO

from pallet.errors import InvalidArgument
from pallet.oci import manifest as om
from pallet.oci import mediatypes as mt
from pallet.oci import reference
from pallet.oci.digest import CHUNK

if TYPE_CHECKING:
    from pallet.images.model import Image
    from pallet.images.service import ImageService


def _names_for(svc: ImageService, ref: str, img: Image) -> list[str]:
    """The normalised names a ref contributes: its tag, or none when given by ID."""
    try:
        _, by_id = svc._resolve_id(ref)
    except Exception:  # resolve already succeeded once; treat as by-name
        by_id = False
    if by_id:
        return []
    r = reference.parse(ref)
    return [] if r.digest else [str(r)]


def save(svc: ImageService, refs: list[str], out: BinaryIO, oci_only: bool = False) -> None:
    if not refs:
        raise InvalidArgument("no images specified")
    chosen: dict[str, tuple[Image, list[str]]] = {}
    for ref in refs:
        img = svc.resolve(ref)
        names = _names_for(svc, ref, img)
        entry = chosen.setdefault(img.id, (img, []))
        for n in names:
            if n not in entry[1]:
                entry[1].append(n)

    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT, bufsize=CHUNK) as tf:
        _dir(tf, "blobs/")
        _dir(tf, "blobs/sha256/")
        written: set[str] = set()
        index_entries: list[dict[str, Any]] = []
        docker_manifest: list[dict[str, Any]] = []
        repositories: dict[str, dict[str, str]] = {}
        for img, names in chosen.values():
            mdigest = img.manifest_digest
            if mdigest is None or not svc.content.exists(mdigest):
                raise InvalidArgument(f"image {img.id} has no manifest; cannot save it")
            for d in [img.id, mdigest, *(x.digest for x in img.layers)]:
                if d not in written:
                    _blob(svc, tf, d)
                    written.add(d)
            msize = svc.content.info(mdigest).size
            for n in names or [""]:
                ann: dict[str, str] = {}
                if n:
                    ann[mt.ANNOTATION_CONTAINERD_NAME] = n
                    ann[mt.ANNOTATION_REF_NAME] = reference.parse(n).tag or ""
                index_entries.append(om.descriptor(mt.OCI_MANIFEST, mdigest, msize, ann or None))
            tags = [reference.familiar(n) for n in names]
            docker_manifest.append(
                {
                    "Config": f"blobs/sha256/{img.id.removeprefix('sha256:')}",
                    "RepoTags": tags or None,
                    "Layers": [
                        f"blobs/sha256/{x.digest.removeprefix('sha256:')}" for x in img.layers
                    ],
                }
            )
            if img.layers:
                for n in names:
                    r = reference.parse(n)
                    repositories.setdefault(r.familiar_name, {})[r.tag or "latest"] = img.layers[
                        -1
                    ].digest.removeprefix("sha256:")
        _file(tf, "index.json", om.canonical_json(om.index(index_entries)))
        if not oci_only:
            _file(tf, "manifest.json", json.dumps(docker_manifest, separators=(",", ":")).encode())
        _file(tf, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        if not oci_only and repositories:
            _file(tf, "repositories", json.dumps(repositories, separators=(",", ":")).encode())


def _info(name: str) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.mtime = 0
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    ti.mode = 0o644
    return ti


def _dir(tf: tarfile.TarFile, name: str) -> None:
    ti = _info(name)
    ti.type = tarfile.DIRTYPE
    ti.mode = 0o755
    tf.addfile(ti)


def _file(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    ti = _info(name)
    ti.size = len(data)
    tf.addfile(ti, io.BytesIO(data))


def _blob(svc: ImageService, tf: tarfile.TarFile, digest: str) -> None:
    ti = _info(f"blobs/sha256/{digest.removeprefix('sha256:')}")
    ti.size = svc.content.info(digest).size
    with svc.content.open(digest) as f:
        tf.addfile(ti, f)
