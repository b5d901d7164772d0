"""Pull an image from a registry into the store, Docker's progress messages included.

Every blob is verified (digest and size) while it is written to the content store;
layer content is checked against the config's diff_ids when applied. Layers
download in parallel (``parallel`` at a time) and are applied in order as they
arrive. A layer whose blob and snapshot are already here is not fetched again
("Already exists"); a verified blob left by an interrupted pull is reused, and a blob
cut off half-way resumes from what arrived (an HTTP Range request). On
failure the new snapshots, config and manifests are removed and no record or
tag is written; verified layer blobs stay in the content store so that a retry
resumes (they are named by their digest, so they can never be wrong) until the
next garbage collection (``images.gc``: at daemon start and at prune).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, cast

from pallet.errors import DataCorruption, InvalidArgument, Unavailable, Unsupported
from pallet.images.model import Layer
from pallet.images.pullstream import BlobProgress, Follower, NothingToFollow
from pallet.images.stage import Stage, StagedImage
from pallet.oci import manifest as om
from pallet.oci import mediatypes as mt
from pallet.oci import platforms
from pallet.oci.digest import CHUNK, Digest, chain_id, sha256_bytes
from pallet.oci.reference import Reference

if TYPE_CHECKING:
    from pallet.images.service import ImageService

Emit = Callable[[dict[str, Any]], None]
PARALLEL = 3
PROGRESS_EVERY = 0.1  # seconds between Downloading messages of one layer
RETRY_DELAYS = (1, 2, 4)  # seconds before each new attempt at a blob after a lost connection
MAX_CONFIG = 8 << 20
_inflight: dict[str, threading.Lock] = {}
_inflight_guard = threading.Lock()
_SCHEMA1 = ("application/vnd.docker.distribution.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v1+prettyjws")


class Fetched(Protocol):
    @property
    def data(self) -> bytes: ...
    @property
    def media_type(self) -> str: ...
    @property
    def digest(self) -> Digest: ...


class BlobStream(Protocol):
    @property
    def status(self) -> int: ...
    def read(self, n: int = -1) -> bytes: ...
    def close(self) -> None: ...


class Source(Protocol):
    """What a pull needs from a registry (``pallet.registry.client.RegistryClient``)."""

    def get_manifest(self, repo: str, ref: str) -> Fetched: ...
    def open_blob(self, repo: str, digest: str, offset: int = 0) -> BlobStream: ...


@dataclass(frozen=True)
class PullResult:
    image_id: str
    digest: str  # what the reference resolved to (the index digest for multi-arch images)
    updated: bool  # False when the reference already named this image


def progress_bar(current: int, total: int, width: int = 50) -> str:
    """Docker's ``[=====>    ]  1.2MB/3.4MB`` text."""
    from pallet.notation.sizes import human_size

    if total <= 0:
        return f"{human_size(current)}"
    filled = min(width, int(width * current / total))
    bar = "=" * filled + (">" if filled < width else "") + " " * max(0, width - filled - 1)
    return f"[{bar}] {_dsize(current)}/{_dsize(total)}"


def _dsize(n: int) -> str:
    for unit, div in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= div:
            return f"{n / div:.3g}{unit}"
    return f"{n}B"


def _lock_for(digest: str) -> threading.Lock:
    with _inflight_guard:
        return _inflight.setdefault(digest, threading.Lock())


def pull(svc: ImageService, client: Source, ref: Reference, emit: Emit,
         platform: str | None = None, parallel: int = PARALLEL) -> PullResult:
    with svc.gate.busy():  # its snapshots and blobs are nobody's until it publishes
        return _pull(svc, client, ref, emit, platform, parallel)


def _pull(svc: ImageService, client: Source, ref: Reference, emit: Emit,
          platform: str | None, parallel: int) -> PullResult:
    repo = ref.path
    want = platforms.parse(platform)
    top = client.get_manifest(repo, ref.digest or ref.tag or "latest")
    emit({"status": f"Pulling from {ref.path}", "id": ref.tag or ref.digest or ""})
    doc = om.decode(top.data, f"manifest {top.digest}")
    media = doc.get("mediaType") or top.media_type
    manifest_bytes, manifest_digest = top.data, top.digest
    if media in mt.INDEXES or "manifests" in doc:
        desc = platforms.select(doc.get("manifests") or [], want)
        desc = om.check_descriptor(desc, f"index {top.digest}")
        sub = client.get_manifest(repo, desc["digest"])
        manifest_bytes, manifest_digest = sub.data, sub.digest
        doc = om.decode(sub.data, f"manifest {sub.digest}")
        media = doc.get("mediaType") or sub.media_type
    if media in _SCHEMA1 or doc.get("schemaVersion") == 1:
        raise Unsupported(f"{ref.familiar}: Docker image manifest schema 1 is not supported")
    cdesc = om.check_descriptor(doc.get("config"), f"manifest {manifest_digest}")
    ldescs = [om.check_descriptor(d, f"manifest {manifest_digest}")
              for d in (doc.get("layers") or [])]
    stage = svc.new_stage()
    try:
        config_bytes = _config(svc, stage, client, repo, cdesc)
        config = om.decode(config_bytes, cdesc["digest"])
        if platform and (config.get("os"), config.get("architecture")) != (
                want.os, want.architecture):
            raise InvalidArgument(
                f"image {ref.familiar} is for {config.get('os')}/{config.get('architecture')},"
                f" not {want}")
        diff_ids = om.diff_ids(config)
        if len(diff_ids) != len(ldescs):
            raise DataCorruption(f"{ref.familiar}: manifest and config disagree on layers")
        image_id = Digest(cdesc["digest"])
        existing = svc.records.get(image_id)
        if existing is not None:
            for layer in existing.layers:
                emit({"status": "Already exists", "progressDetail": {}, "id": _short(layer.digest)})
            layers = existing.layers
        else:
            layers = _layers(svc, stage, client, repo, ldescs, diff_ids, emit, parallel)
        stage.blob_bytes(manifest_bytes, manifest_digest)
        names = [str(ref)] if ref.tag else []
        names.append(f"{ref.name}@{top.digest}")
        before = svc.records.ref(str(ref)) if ref.tag else None
        svc.publish([StagedImage(config_bytes, image_id, list(layers), names, manifest_digest)])
    except BaseException:
        _rollback(stage, ldescs)
        raise
    emit({"status": f"Digest: {top.digest}"})
    updated = before != image_id if ref.tag else existing is None
    what = "Downloaded newer image" if updated else "Image is up to date"
    emit({"status": f"Status: {what} for {ref.familiar}"})
    return PullResult(image_id, top.digest, updated)


def _short(digest: str) -> str:
    return digest[7:19]


def _config(svc: ImageService, stage: Stage, client: Source, repo: str,
            desc: dict[str, Any]) -> bytes:
    digest = desc["digest"]
    if svc.content.exists(digest):
        return svc.content.read(digest)
    resp = client.open_blob(repo, digest)
    data = resp.read(MAX_CONFIG + 1)
    if len(data) > MAX_CONFIG:
        raise DataCorruption(f"image config {digest} is too large")
    got = sha256_bytes(data)
    if got != digest:
        raise DataCorruption(f"image config digest mismatch: got {got}, expected {digest}")
    stage.blob_bytes(data, digest)
    return data


def _known_layers(svc: ImageService) -> dict[tuple[str, str], Layer]:
    return {(x.digest, x.chain_id): x for row in svc.records.all() for x in row.layers}


def _layers(svc: ImageService, stage: Stage, client: Source, repo: str,
            ldescs: list[dict[str, Any]], diff_ids: list[str], emit: Emit,
            parallel: int) -> list[Layer]:
    known = _known_layers(svc)
    chains: list[str] = []
    parent: str | None = None
    for d in diff_ids:
        parent = chain_id(parent, d)
        chains.append(parent)
    reuse: dict[int, Layer] = {}
    for i, desc in enumerate(ldescs):
        hit = known.get((desc["digest"], chains[i]))
        if hit is not None and svc.content.exists(hit.digest) and svc.snapshotter.exists(
                chains[i]):
            reuse[i] = hit
            emit({"status": "Already exists", "progressDetail": {}, "id": _short(desc["digest"])})
        else:
            emit({"status": "Pulling fs layer", "progressDetail": {},
                  "id": _short(desc["digest"])})
    out: list[Layer] = []
    progress = {i: BlobProgress() for i in range(len(ldescs)) if i not in reuse}
    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="pull") as pool:
        futures: dict[int, Future[None]] = {
            i: pool.submit(_download, svc, client, repo, desc, emit, progress[i])
            for i, desc in enumerate(ldescs) if i not in reuse
        }
        try:
            parent = None
            for i, desc in enumerate(ldescs):
                if i in reuse:
                    layer = reuse[i]
                else:
                    sid = _short(desc["digest"])
                    emit({"status": "Extracting", "progressDetail": {"current": 0,
                          "total": int(desc.get("size", 0))}, "id": sid})
                    layer = _apply(svc, stage, parent, desc, diff_ids[i], chains[i],
                                   futures[i], progress[i])
                    emit({"status": "Pull complete", "progressDetail": {}, "id": sid})
                out.append(layer)
                parent = layer.chain_id
        except BaseException:
            for f in futures.values():
                f.cancel()
            raise
        finally:
            for pr in progress.values():
                pr.close()
    return out


def _apply(svc: ImageService, stage: Stage, parent: str | None, desc: dict[str, Any],
           diff_id: str, chain: str, download: Future[None], progress: BlobProgress) -> Layer:
    """Apply one layer: while it downloads when it is still on its way (and a new
    snapshot with a known media type), else from the stored blob."""
    media = _layer_media(desc.get("mediaType"))
    if not download.done() and media is not None and not svc.snapshotter.exists(chain):
        try:
            layer = stage.layer(parent, desc["digest"], diff_id, media,
                                src=cast(BinaryIO, Follower(progress)))
        except NothingToFollow:
            pass
        except BaseException:
            download.result()  # the download's own failure first
            raise
        else:
            download.result()
            return layer
    download.result()
    return stage.layer(parent, desc["digest"], diff_id, media)


def _layer_media(media: Any) -> str | None:
    if not isinstance(media, str) or not media:
        return None
    if media not in mt.LAYERS:
        raise Unsupported(f"unsupported layer media type {media}")
    return media


def _download(svc: ImageService, client: Source, repo: str, desc: dict[str, Any],
              emit: Emit, progress: BlobProgress | None = None) -> None:
    """Fetch one blob into the content store, verified; shared between concurrent pulls.

    A lost connection is retried after ``RETRY_DELAYS`` ("Retrying in N seconds"). What
    an interrupted attempt received is kept (``content.partial``) and the next one (or
    the next pull) asks for the rest with a Range request; a registry that sends the
    whole blob instead (200) starts it over."""
    progress = progress or BlobProgress()
    try:
        _download_retrying(svc, client, repo, desc, emit, progress)
    except BaseException as e:
        progress.finish(e)
        raise
    progress.finish()
    emit({"status": "Download complete", "progressDetail": {}, "id": _short(desc["digest"])})


def _download_retrying(svc: ImageService, client: Source, repo: str, desc: dict[str, Any],
                       emit: Emit, progress: BlobProgress) -> None:
    digest, size = desc["digest"], int(desc.get("size", -1))
    sid = _short(digest)
    with _lock_for(digest):
        if svc.content.exists(digest):
            return
        for delay in (*RETRY_DELAYS, None):
            try:
                _fetch(svc, client, repo, digest, size, emit, progress)
                break
            except Unavailable:
                if delay is None:
                    raise
                emit({"status": f"Retrying in {delay} second{'s' if delay > 1 else ''}",
                      "progressDetail": {}, "id": sid})
                time.sleep(delay)


def _fetch(svc: ImageService, client: Source, repo: str, digest: str, size: int,
           emit: Emit, progress: BlobProgress) -> None:
    """One attempt at a blob, resuming what an earlier one received."""
    sid = _short(digest)
    with svc.content.partial(digest) as w:
        if 0 <= size <= w.size:
            w.restart()  # complete but never verified: fetch it again
        resp = client.open_blob(repo, digest, w.size)
        if resp.status != 206:
            w.restart()
        progress.attempt(w.path, w.size)
        last = 0.0
        try:
            limit = size + 1 if size >= 0 else None
            while limit is None or w.size < limit:
                chunk = resp.read(CHUNK if limit is None else min(CHUNK, limit - w.size))
                if not chunk:
                    break
                w.write(chunk)
                w.flush()
                progress.wrote(w.size)
                now = time.monotonic()
                if now - last >= PROGRESS_EVERY:
                    last = now
                    emit({"status": "Downloading", "id": sid,
                          "progressDetail": {"current": w.size, "total": size},
                          "progress": progress_bar(w.size, size)})
        finally:
            resp.close()
        emit({"status": "Verifying Checksum", "progressDetail": {}, "id": sid})
        w.commit(digest, size if size >= 0 else None)


def _rollback(stage: Stage, ldescs: list[dict[str, Any]]) -> None:
    """Undo a failed pull but keep verified layer blobs (a retry resumes from them)."""
    keep = {d["digest"] for d in ldescs}
    stage.new_blobs = [b for b in stage.new_blobs if b not in keep]
    stage.rollback()
