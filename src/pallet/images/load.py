"""``docker load``: docker-archive (Docker 20.10-24 and 25+) and OCI image layouts.

Every blob is verified (config and blob paths name their digest; layer content
must hash to the config's diff_ids). Blobs and snapshots are staged; a failure
removes what this load created, and records are published in one transaction.
"""

from __future__ import annotations

import gzip
import posixpath
import re
import tarfile
import zlib
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pallet.errors import DataCorruption, InvalidArgument, PalletError
from pallet.images.stage import Stage, StagedImage
from pallet.oci import manifest as om
from pallet.oci import mediatypes as mt
from pallet.oci import reference
from pallet.oci.digest import Digest, is_digest, sha256_bytes

if TYPE_CHECKING:
    from pallet.images.service import ImageService

MAX_JSON = 16 << 20
_BLOB_PATH = re.compile(r"^blobs/sha256/([0-9a-f]{64})$")
_CONFIG_PATH = re.compile(r"^([0-9a-f]{64})\.json$")


class Archive:
    """Random access to the members of an (optionally gzip'd) tar by cleaned name."""

    def __init__(self, tf: tarfile.TarFile) -> None:
        self.tf = tf
        self.members: dict[str, tarfile.TarInfo] = {}
        for m in tf.getmembers():
            self.members[posixpath.normpath(m.name.lstrip("/"))] = m

    def has(self, name: str) -> bool:
        return self._resolve(name, quiet=True) is not None

    def _resolve(self, name: str, quiet: bool = False) -> tarfile.TarInfo | None:
        path = posixpath.normpath(name.lstrip("/"))
        for _ in range(16):
            m = self.members.get(path)
            if m is None:
                break
            if m.issym():
                path = posixpath.normpath(posixpath.join(posixpath.dirname(path), m.linkname))
                continue
            if m.islnk():
                path = posixpath.normpath(m.linkname.lstrip("/"))
                continue
            if m.isreg():
                return m
            break
        if quiet:
            return None
        raise DataCorruption(f"archive: {name} is missing")

    def open(self, name: str) -> tuple[IO[bytes], int]:
        m = self._resolve(name)
        assert m is not None
        f = self.tf.extractfile(m)
        if f is None:
            raise DataCorruption(f"archive: {name} is not a file")
        return f, m.size

    def read(self, name: str) -> bytes:
        f, size = self.open(name)
        if size > MAX_JSON:
            raise DataCorruption(f"archive: {name} is too large ({size} bytes)")
        data = f.read()
        if len(data) != size:
            raise DataCorruption(f"archive: {name} is truncated")
        return data


def load(svc: ImageService, archive: Path) -> list[str]:
    try:
        tf = tarfile.open(archive, "r:*")  # noqa: SIM115 - closed below
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as e:
        detail = str(e).splitlines()[0].rstrip(":") if str(e) else type(e).__name__
        if "could not be opened" in detail:
            detail = "not a tar archive (plain, gzip, bzip2 or xz)"
        raise InvalidArgument(f"invalid tar archive: {detail}") from None
    stage = svc.new_stage()
    with tf:
        try:
            ar = Archive(tf)
            if ar.has("manifest.json"):
                staged = _docker(ar, stage)
            elif ar.has("index.json"):
                staged = _oci(ar, stage)
            elif ar.has("repositories"):
                raise InvalidArgument("legacy image archives without manifest.json are unsupported")
            else:
                raise InvalidArgument(
                    "invalid image archive: no manifest.json (docker) or index.json (OCI layout)"
                )
            for img in staged:
                svc.finish_manifest(stage, img)
            return svc.publish(staged)
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as e:
            stage.rollback()
            raise DataCorruption(f"image archive is truncated or corrupt: {e}") from None
        except BaseException:
            stage.rollback()
            raise


def _docker(ar: Archive, stage: Stage) -> list[StagedImage]:
    entries = om_list(ar.read("manifest.json"), "manifest.json")
    out: dict[str, StagedImage] = {}
    for e in entries:
        if not isinstance(e, dict) or not isinstance(e.get("Config"), str):
            raise DataCorruption("manifest.json: invalid entry")
        cpath = e["Config"]
        config_bytes = ar.read(cpath)
        image_id = sha256_bytes(config_bytes)
        expected = _digest_in_path(cpath)
        if expected is not None and expected != image_id:
            raise DataCorruption(f"{cpath}: digest mismatch (content is {image_id})")
        config = om.decode(config_bytes, cpath)
        stage.blob_bytes(config_bytes, image_id)
        diff_ids = om.diff_ids(config)
        lpaths = e.get("Layers") or []
        if not isinstance(lpaths, list) or len(lpaths) != len(diff_ids):
            raise DataCorruption("invalid manifest, layers length mismatch")
        layers = []
        parent: str | None = None
        for lpath, diff_id in zip(lpaths, diff_ids, strict=True):
            f, size = ar.open(str(lpath))
            digest, _ = stage.blob_from(f, _digest_in_path(str(lpath)), size)
            layer = stage.layer(parent, digest, diff_id)
            layers.append(layer)
            parent = layer.chain_id
        names = [reference.normalize(t) for t in (e.get("RepoTags") or [])]
        img = out.setdefault(image_id, StagedImage(config_bytes, image_id, layers))
        img.names.extend(n for n in names if n not in img.names)
    return list(out.values())


def _oci(ar: Archive, stage: Stage) -> list[StagedImage]:
    index = om.decode(ar.read("index.json"), "index.json")
    out: dict[str, StagedImage] = {}
    for desc in index.get("manifests") or []:
        desc = om.check_descriptor(desc, "index.json")
        name = _name_from(desc.get("annotations") or {})
        _oci_manifest(ar, stage, desc, name, out, depth=0)
    return list(out.values())


def _oci_manifest(
    ar: Archive,
    stage: Stage,
    desc: dict[str, Any],
    name: str | None,
    out: dict[str, StagedImage],
    depth: int,
) -> None:
    if depth > 4:
        raise DataCorruption("OCI layout: indexes nested too deeply")
    data = _blob_bytes(ar, desc)
    doc = om.decode(data, desc["digest"])
    media = desc.get("mediaType") or doc.get("mediaType") or ""
    if media in mt.INDEXES or "manifests" in doc:
        want = om.host_platform()
        for sub in doc.get("manifests") or []:
            sub = om.check_descriptor(sub, desc["digest"])
            plat = sub.get("platform") or {}
            if plat and (plat.get("architecture"), plat.get("os")) != (
                want["architecture"],
                want["os"],
            ):
                continue
            _oci_manifest(ar, stage, sub, name, out, depth + 1)
            return
        raise InvalidArgument(f"no image for {want['os']}/{want['architecture']} in the archive")
    cdesc = om.check_descriptor(doc.get("config"), f"manifest {desc['digest']}")
    config_bytes = _blob_bytes(ar, cdesc)
    image_id = Digest(cdesc["digest"])
    config = om.decode(config_bytes, image_id)
    stage.blob_bytes(config_bytes, image_id)
    diff_ids = om.diff_ids(config)
    ldescs = doc.get("layers") or []
    if len(ldescs) != len(diff_ids):
        raise DataCorruption("invalid manifest, layers length mismatch")
    if image_id not in out:
        layers = []
        parent: str | None = None
        for ldesc, diff_id in zip(ldescs, diff_ids, strict=True):
            ldesc = om.check_descriptor(ldesc, f"manifest {desc['digest']}")
            f, size = ar.open(_blob_name(ldesc["digest"]))
            digest, _ = stage.blob_from(f, ldesc["digest"], ldesc.get("size", size))
            layer = stage.layer(parent, digest, diff_id, ldesc.get("mediaType"))
            layers.append(layer)
            parent = layer.chain_id
        mdigest = stage.blob_bytes(data, desc["digest"])
        out[image_id] = StagedImage(config_bytes, image_id, layers, manifest_digest=mdigest)
    if name and name not in out[image_id].names:
        out[image_id].names.append(name)


def _blob_name(digest: str) -> str:
    return f"blobs/sha256/{Digest(digest).hex}"


def _blob_bytes(ar: Archive, desc: dict[str, Any]) -> bytes:
    data = ar.read(_blob_name(desc["digest"]))
    got = sha256_bytes(data)
    if got != desc["digest"]:
        raise DataCorruption(f"blob {desc['digest']}: digest mismatch (content is {got})")
    if "size" in desc and desc["size"] != len(data):
        raise DataCorruption(f"blob {desc['digest']}: size mismatch")
    return data


def _digest_in_path(path: str) -> str | None:
    p = posixpath.normpath(path.lstrip("/"))
    m = _BLOB_PATH.match(p) or _CONFIG_PATH.match(p)
    return f"sha256:{m.group(1)}" if m else None


def _name_from(ann: dict[str, Any]) -> str | None:
    for key in (mt.ANNOTATION_CONTAINERD_NAME, mt.ANNOTATION_REF_NAME):
        v = ann.get(key)
        if isinstance(v, str) and ("/" in v or ":" in v):
            try:
                r = reference.parse(v)
            except PalletError:
                continue
            if not r.digest:
                return str(r)
    return None


def om_list(data: bytes, what: str) -> list[Any]:
    import json

    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise DataCorruption(f"{what}: invalid JSON: {e}") from None
    if not isinstance(value, list):
        raise DataCorruption(f"{what}: expected a list")
    return value


__all__ = ["is_digest", "load"]
