"""ImageService: image records, names and lifecycle, over a content store and a snapshotter.

Long operations (load, save, import, bootstrap) are synchronous; the engine
runs them in a worker thread. Compound changes hold ``self.lock`` and publish
records in one DB transaction.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from pallet.content.store import LocalContentStore
from pallet.errors import Conflict, InvalidArgument, NotFound
from pallet.images.model import Image, unix_time
from pallet.images.records import ImageRecords, ImageRow
from pallet.images.stage import Stage, StagedImage
from pallet.oci import manifest as om
from pallet.oci import mediatypes as mt
from pallet.oci import reference
from pallet.snapshots.base import Snapshotter
from pallet.snapshots.mount import Mount
from pallet.system.db import Database
from pallet.system.paths import Paths

InUse = Callable[[str], "bool | str"]
_HEX_PREFIX = re.compile(r"^(sha256:)?[0-9a-f]{1,64}$")


def _familiar(name: str) -> str:
    try:
        return reference.familiar(name)
    except InvalidArgument:
        return name


def default_snapshotter(paths: Paths) -> Snapshotter:
    if os.geteuid() == 0:
        from pallet.snapshots.overlay import OverlaySnapshotter

        return OverlaySnapshotter(paths.snapshots)
    from pallet.snapshots.naive import NaiveSnapshotter

    return NaiveSnapshotter(paths.snapshots)


class ImageService:
    def __init__(
        self,
        db: Database,
        paths: Paths,
        snapshotter: Snapshotter | None = None,
        content: LocalContentStore | None = None,
    ) -> None:
        self.db = db
        self.paths = paths
        self.records = ImageRecords(db)
        self.content = content or LocalContentStore(paths.content)
        self.snapshotter = snapshotter or default_snapshotter(paths)
        self.lock = threading.RLock()

    # -- reading -----------------------------------------------------------
    def _image(self, row: ImageRow, refs: builtins.list[tuple[str, str]] | None = None) -> Image:
        if refs is None:
            refs = self.records.refs_of(row.id)
        config = json.loads(row.config_bytes)
        return Image(
            id=row.id,
            repo_tags=[_familiar(n) for n, k in refs if k == "tag"],
            repo_digests=[_familiar(n) for n, k in refs if k == "digest"],
            config=config,
            size=row.size,
            created=str(config.get("created") or ""),
            top_snapshot=row.top_snapshot,
            layers=row.layers,
            manifest_digest=row.manifest_digest,
            last_tag_time=row.last_tag_time,
        )

    def get(self, image_id: str) -> Image:
        row = self.records.get(image_id)
        if row is None:
            raise NotFound(f"No such image: {image_id}")
        return self._image(row)

    def _resolve_id(self, ref: str) -> tuple[str, bool]:
        """(image id, whether ``ref`` named it by ID) or NotFound/InvalidArgument."""
        if _HEX_PREFIX.match(ref):
            if ref.startswith("sha256:") and len(ref) == 71:
                if self.records.get(ref):
                    return ref, True
                raise NotFound(f"No such image: {ref}")
            if not ref.startswith("sha256:") and len(ref) < 64:
                # a bare short hex could also be a repository name ("abc" -> abc:latest)
                try:
                    found = self.records.ref(reference.normalize(ref))
                except InvalidArgument:
                    found = None
                if found:
                    return found, False
            ids = self.records.ids_with_prefix(ref.removeprefix("sha256:"))
            if len(ids) == 1:
                return ids[0], True
            if len(ids) > 1:
                raise InvalidArgument(f"ambiguous image ID prefix {ref!r}")
            raise NotFound(f"No such image: {ref}")
        r = reference.parse(ref)
        found = self.records.ref(str(r))
        if found is None:
            raise NotFound(f"No such image: {r.familiar}")
        return found, False

    def resolve(self, ref: str) -> Image:
        return self.get(self._resolve_id(ref)[0])

    def list(self) -> builtins.list[Image]:
        refs = self.records.all_refs()
        return [self._image(r, refs.get(r.id, [])) for r in self.records.all()]

    def exists(self, ref: str) -> bool:
        try:
            self._resolve_id(ref)
            return True
        except NotFound:
            return False

    # -- names -------------------------------------------------------------
    def tag(self, ref: str, new_name: str) -> None:
        image_id, _ = self._resolve_id(ref)
        r = reference.parse(new_name)
        if r.digest:
            raise InvalidArgument("refusing to create a tag with a digest reference")
        with self.lock, self.db.tx() as conn:
            self.records.set_ref(conn, str(r), image_id, "tag")

    # -- removal -----------------------------------------------------------
    def remove(
        self,
        ref: str,
        force: bool = False,
        noprune: bool = False,
        in_use: InUse = lambda _id: False,
    ) -> builtins.list[dict[str, str]]:
        """Docker's ``DELETE /images/{name}``; returns Untagged/Deleted records."""
        with self.lock:
            image_id, by_id = self._resolve_id(ref)
            refs = self.records.refs_of(image_id)
            records: builtins.list[dict[str, str]] = []
            user = in_use(image_id)
            short = image_id.removeprefix("sha256:")[:12]
            if not by_id:
                name = str(reference.parse(ref))
                if not force and len(refs) <= 1 and user:
                    cid = user if isinstance(user, str) else "unknown"
                    raise Conflict(
                        f'conflict: unable to remove repository reference "{ref}" (must force)'
                        f" - container {cid[:12]} is using its referenced image {short}"
                    )
                with self.db.tx() as conn:
                    self.records.delete_ref(conn, name)
                records.append({"Untagged": _familiar(name)})
                remaining = self.records.refs_of(image_id)
                if "@" not in name:
                    repo = name.rsplit(":", 1)[0]
                    same_repo_tag = any(
                        k == "tag" and n.rsplit(":", 1)[0] == repo for n, k in remaining
                    )
                    if not same_repo_tag:
                        with self.db.tx() as conn:
                            for n, k in remaining:
                                if k == "digest" and n.split("@", 1)[0] == repo:
                                    self.records.delete_ref(conn, n)
                                    records.append({"Untagged": _familiar(n)})
                        remaining = self.records.refs_of(image_id)
                if remaining or user:
                    return records
            else:
                repos = {n.split("@", 1)[0] if "@" in n else n.rsplit(":", 1)[0] for n, _ in refs}
                tags = [n for n, k in refs if k == "tag"]
                if (len(tags) > 1 or len(repos) > 1) and not force:
                    raise Conflict(
                        f"conflict: unable to delete {short} (must be forced)"
                        " - image is referenced in multiple repositories"
                    )
                if user and not force:
                    # layers stay while the container exists; the engine refuses running ones
                    cid = user if isinstance(user, str) else "unknown"
                    raise Conflict(
                        f"conflict: unable to delete {short} (must be forced)"
                        f" - image is being used by stopped container {cid[:12]}"
                    )
                for n, _ in refs:
                    records.append({"Untagged": _familiar(n)})
            records.extend(self._delete_image(image_id))
            return records

    def _delete_image(self, image_id: str) -> builtins.list[dict[str, str]]:
        row = self.records.get(image_id)
        if row is None:
            return []
        with self.db.tx() as conn:
            self.records.delete_image(conn, image_id)
        out = [{"Deleted": image_id}]
        keep_blobs = self.records.referenced_blobs()
        for d in {image_id, row.manifest_digest, *(x.digest for x in row.layers)}:
            if d and d not in keep_blobs:
                self.content.delete(d)
        keep_chains = self.records.referenced_chains()
        for layer in reversed(row.layers):
            cid = layer.chain_id
            if cid in keep_chains or not self.snapshotter.exists(cid):
                break
            if self.snapshotter.children(cid):
                break  # a container (or another layer) still sits on it
            self.snapshotter.remove(cid)
            out.append({"Deleted": cid})
        return out

    def prune(
        self, dangling_only: bool = True, in_use: InUse = lambda _id: False
    ) -> dict[str, Any]:
        """``POST /images/prune``: dangling images, or all unused ones (``-a``)."""
        deleted: builtins.list[dict[str, str]] = []
        reclaimed = 0
        with self.lock:
            for img in self.list():
                if in_use(img.id):
                    continue
                if dangling_only and img.repo_tags:
                    continue
                for n in [*img.repo_tags, *img.repo_digests]:
                    deleted.append({"Untagged": n})
                recs = self._delete_image(img.id)
                if recs:
                    reclaimed += img.size
                deleted.extend(recs)
        return {"ImagesDeleted": deleted or None, "SpaceReclaimed": reclaimed}

    # -- history -----------------------------------------------------------
    def history(self, ref: str) -> builtins.list[dict[str, Any]]:
        img = self.resolve(ref)
        hist = img.config.get("history") or []
        layers = list(img.layers)
        out: builtins.list[dict[str, Any]] = []
        li = 0
        if not hist:
            hist = [{"created": img.created} for _ in layers] or [{"created": img.created}]
        for h in hist:
            size = 0
            if not h.get("empty_layer") and li < len(layers):
                size = layers[li].content_size
                li += 1
            out.append(
                {
                    "Id": "<missing>",
                    "Created": unix_time(h.get("created")),
                    "CreatedBy": h.get("created_by", ""),
                    "Tags": None,
                    "Size": size,
                    "Comment": h.get("comment", ""),
                }
            )
        out.reverse()
        out[0]["Id"] = img.id
        out[0]["Tags"] = img.repo_tags or None
        return out

    # -- containers' root filesystems ----------------------------------------
    def rootfs_mounts(self, image: Image | None, container_key: str) -> builtins.list[Mount]:
        """A writable snapshot for a container on top of ``image`` (scratch if None)."""
        return self.snapshotter.prepare(container_key, image.top_snapshot if image else None)

    def release(self, container_key: str) -> None:
        """Remove a container's snapshot; also drops layers of images deleted meanwhile."""
        if not self.snapshotter.exists(container_key):
            return
        parent = self.snapshotter.stat(container_key).parent
        self.snapshotter.remove(container_key)
        with self.lock:
            keep = self.records.referenced_chains()
            while parent and parent not in keep and not self.snapshotter.children(parent):
                nxt = self.snapshotter.stat(parent).parent
                self.snapshotter.remove(parent)
                parent = nxt

    def graph_driver_data(self, image: Image) -> dict[str, str]:
        """``GraphDriver.Data`` for inspect: the layer dirs, as overlay2 shows them."""
        root = Path(getattr(self.snapshotter, "root", self.paths.snapshots))
        dirs: builtins.list[str] = []
        for layer in reversed(image.layers):
            try:
                info = self.snapshotter.stat(layer.chain_id)
            except NotFound:
                continue
            dirs.append(str(root / "s" / info.id / "diff"))
        if not dirs:
            return {}
        data = {"MergedDir": "", "UpperDir": dirs[0], "WorkDir": ""}
        if len(dirs) > 1:
            data["LowerDir"] = ":".join(dirs[1:])
        return data

    # -- adding images ------------------------------------------------------
    def new_stage(self) -> Stage:
        return Stage(self.content, self.snapshotter)

    def finish_manifest(self, stage: Stage, img: StagedImage) -> None:
        """Store an OCI manifest for ``img`` unless it came with one."""
        if img.manifest_digest:
            return
        config_desc = om.descriptor(mt.OCI_CONFIG, img.image_id, len(img.config_bytes))
        layers = [om.descriptor(x.media_type, x.digest, x.size) for x in img.layers]
        data, _ = om.encode(om.manifest(config_desc, layers))
        img.manifest_digest = stage.blob_bytes(data)

    def publish(self, images: builtins.list[StagedImage]) -> builtins.list[str]:
        """Record staged images and their names in one transaction; Docker's load lines."""
        import time

        lines: builtins.list[str] = []
        with self.lock, self.db.tx() as conn:
            for img in images:
                row = ImageRow(
                    img.image_id,
                    img.config_bytes,
                    img.manifest_digest,
                    img.layers,
                    sum(x.content_size for x in img.layers),
                    img.layers[-1].chain_id if img.layers else None,
                    time.time(),
                    None,
                )
                self.records.insert(conn, row)
                if not img.names:
                    lines.append(f"Loaded image ID: {img.image_id}")
                for name in img.names:
                    kind = "digest" if "@" in name else "tag"
                    old = self.records.set_ref(conn, name, img.image_id, kind)
                    fam = _familiar(name)
                    if old:
                        lines.append(
                            f"The image {fam} already exists, renaming the old one with ID"
                            f" {old} to empty string"
                        )
                    lines.append(f"Loaded image: {fam}")
        return lines

    # -- archives and base images (implemented in sibling modules) --------
    def save(self, refs: builtins.list[str], out: BinaryIO) -> None:
        from pallet.images.save import save

        save(self, refs, out, oci_only=False)

    def save_oci(self, refs: builtins.list[str], out: BinaryIO) -> None:
        from pallet.images.save import save

        save(self, refs, out, oci_only=True)

    def load(self, archive: Path) -> builtins.list[str]:
        from pallet.images.load import load

        return load(self, archive)

    def import_tar(
        self,
        archive: Path,
        ref: str | None = None,
        changes: builtins.list[str] | None = None,
        message: str = "",
    ) -> str:
        from pallet.images.importer import import_tar

        return import_tar(self, archive, ref, changes or [], message)

    def bootstrap(self, name: str) -> str:
        from pallet.images.bootstrap import bootstrap

        return bootstrap(self, name)
