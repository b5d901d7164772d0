"""Push an image to a registry with Docker's progress messages.

Blobs the registry already has are not sent ("Layer already exists"); a blob that
another repository of the same registry holds (per this image's other names) is
mounted across repositories ("Mounted from ..."); the others are uploaded,
monolithic or in ``chunk_size`` PATCHes. Layers stored as plain tars are compressed
on the way (``compression``, gzip by default; :mod:`pallet.images.pushcompress`), in
parallel across layers; the pushed manifest then names the compressed blobs (an OCI
manifest when zstd is asked for, since Docker's schema 2 has no zstd). Without that
rewrite the manifest is pushed byte for byte as stored, so the digest the registry
reports is the one pallet recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import IO, TYPE_CHECKING, Any, Protocol

from pallet.errors import DataCorruption, NotFound, PalletError
from pallet.images.pushcompress import Streamed, push_compressed
from pallet.oci import manifest as om
from pallet.oci import mediatypes as mt
from pallet.oci import reference
from pallet.oci.compression import GZIP, Compression, layer_media
from pallet.oci.digest import Digest
from pallet.oci.reference import Reference

if TYPE_CHECKING:
    from pallet.images.service import ImageService

Emit = Callable[[dict[str, Any]], None]
PARALLEL = 3


class Target(Protocol):
    """What a push needs from a registry (``pallet.registry.client.RegistryClient``)."""

    def blob_size(self, repo: str, digest: str, scope: str | None = None) -> int | None: ...
    def mount_blob(self, repo: str, digest: str, from_repo: str) -> bool: ...
    def upload_blob(self, repo: str, digest: str, size: int, opener: Callable[[], IO[bytes]],
                    chunk_size: int | None = None,
                    progress: Callable[[int], None] | None = None) -> None: ...
    def put_manifest(self, repo: str, ref: str, data: bytes, media_type: str) -> Digest: ...
    def upload_stream(self, repo: str, body: Streamed) -> None: ...


def push(svc: ImageService, client: Target, ref: Reference, emit: Emit,
         chunk_size: int | None = None, parallel: int = PARALLEL,
         compression: Compression = GZIP) -> Digest:
    """Push the image named ``ref`` (host/repo:tag); returns the manifest digest."""
    with svc.gate.busy():  # a manifest it makes is nobody's until the image row names it
        return _push(svc, client, ref, emit, chunk_size, parallel, compression)


def _push(svc: ImageService, client: Target, ref: Reference, emit: Emit,
          chunk_size: int | None, parallel: int, compression: Compression) -> Digest:
    if not ref.tag:
        raise NotFound(f"push needs a tag: {ref.familiar}")
    img = svc.resolve(str(ref))
    emit({"status": f"The push refers to repository [{ref.name}]"})
    if img.manifest_digest is None or not svc.content.exists(img.manifest_digest):
        stage = svc.new_stage()
        from pallet.images.stage import StagedImage

        staged = StagedImage(svc.content.read(img.id), img.id, list(img.layers))
        svc.finish_manifest(stage, staged)
        assert staged.manifest_digest is not None
        manifest_digest = staged.manifest_digest
    else:
        manifest_digest = img.manifest_digest
    data = svc.content.read(manifest_digest)
    doc = om.decode(data, f"manifest {manifest_digest}")
    media = doc.get("mediaType") or mt.OCI_MANIFEST
    cdesc = om.check_descriptor(doc.get("config"), "manifest")
    ldescs = [om.check_descriptor(d, "manifest") for d in doc.get("layers") or []]
    for d in (cdesc, *ldescs):
        if not svc.content.exists(d["digest"]):
            raise DataCorruption(
                f"blob {d['digest']} of {ref.familiar} is missing from the content store")
    sources = _mount_sources(svc, ref)
    for d in ldescs:
        emit({"status": "Preparing", "progressDetail": {}, "id": d["digest"][7:19]})
    squeeze = compression.algorithm != "none"
    target = mt.OCI_MANIFEST if compression.algorithm == "zstd" else media
    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="push") as pool:
        futures = [pool.submit(_layer, svc, client, ref.path, target, d,
                               sources.get(d["digest"], []), emit, chunk_size,
                               compression if squeeze else None) for d in ldescs]
        sent = [f.result() for f in futures]
    _blob(svc, client, ref.path, cdesc, sources.get(cdesc["digest"], []), emit, chunk_size,
          False)
    if sent != ldescs:
        media = target
        data = _rewritten(doc, media, sent)
    digest = client.put_manifest(ref.path, ref.tag, data, media)
    emit({"status": f"{ref.tag}: digest: {digest} size: {len(data)}"})
    emit({"progressDetail": {}, "aux": {"Tag": ref.tag, "Digest": str(digest), "Size": len(data)}})
    with svc.lock, svc.db.tx() as conn:
        svc.records.set_ref(conn, f"{ref.name}@{digest}", img.id, "digest")
    return digest


def _mount_sources(svc: ImageService, ref: Reference) -> dict[str, list[str]]:
    """blob digest -> other repositories on the same registry naming an image with it."""
    refs = svc.records.all_refs()
    out: dict[str, list[str]] = {}
    for row in svc.records.all():
        repos = []
        for name, _kind in refs.get(row.id, []):
            try:
                r = reference.parse(name, default_tag=False)
            except PalletError:
                continue
            if r.domain == ref.domain and r.path != ref.path and r.path not in repos:
                repos.append(r.path)
        for d in (row.id, *(x.digest for x in row.layers)):
            known = out.setdefault(d, [])
            known.extend(p for p in repos if p not in known)
    return out


def _rewritten(doc: dict[str, Any], media: str, layers: list[dict[str, Any]]) -> bytes:
    """The manifest ``doc`` naming ``layers`` instead (and of type ``media``)."""
    out = dict(doc, mediaType=media, layers=layers)
    if media == mt.OCI_MANIFEST and doc["config"].get("mediaType") == mt.DOCKER_CONFIG:
        out["config"] = dict(doc["config"], mediaType=mt.OCI_CONFIG)
    return om.encode(out)[0]


def _layer(svc: ImageService, client: Target, repo: str, manifest_media: str,
           desc: dict[str, Any], sources: list[str], emit: Emit, chunk_size: int | None,
           compression: Compression | None) -> dict[str, Any]:
    """Push one layer; its descriptor as pushed (compressed when it was stored plain)."""
    if compression is None or desc.get("mediaType") not in mt.UNCOMPRESSED_LAYERS:
        _blob(svc, client, repo, desc, sources, emit, chunk_size, True)
        return desc
    say, progress = _reporter(desc, emit, True)
    hint = push_compressed(svc, client, repo, desc["digest"], compression, sources, say,
                           progress)
    return dict(desc, mediaType=layer_media(manifest_media, compression.algorithm),
                digest=hint.digest, size=hint.size)


def _reporter(desc: dict[str, Any], emit: Emit, show: bool
              ) -> tuple[Callable[..., None], Callable[[int], None]]:
    """Docker's per-layer status and ``Pushing`` progress lines for ``desc``."""
    size = int(desc["size"])
    sid = desc["digest"][7:19]

    def say(status: str, **extra: Any) -> None:
        if show:
            emit({"status": status, "progressDetail": {}, "id": sid, **extra})

    sent = 0
    last = -1

    def progress(n: int) -> None:
        nonlocal sent, last
        sent += n
        step = sent * 20 // max(size, 1)
        if show and step != last:
            last = step
            from pallet.images.pull import progress_bar

            emit({"status": "Pushing", "id": sid, "progress": progress_bar(sent, size),
                  "progressDetail": {"current": sent, "total": size}})

    return say, progress


def _blob(svc: ImageService, client: Target, repo: str, desc: dict[str, Any],
          sources: list[str], emit: Emit, chunk_size: int | None, show: bool) -> None:
    digest, size = desc["digest"], int(desc["size"])
    say, progress = _reporter(desc, emit, show)
    scope = f"repository:{repo}:pull,push"
    if client.blob_size(repo, digest, scope) is not None:
        say("Layer already exists")
        return
    for src in sources:
        if client.mount_blob(repo, digest, src):
            say(f"Mounted from {src}")
            return
    client.upload_blob(repo, digest, size, lambda: svc.content.open(digest), chunk_size,
                       progress)
    say("Pushed")
