"""Removing images (``docker rmi``, ``image prune``) and reclaiming what nobody references.

A deleted image's blobs go unless another image keeps them; its layer snapshots go
from the top down until one is shared, still has children (a container or another
image on it), or is referenced by a remaining image. :func:`release` drops a
container's snapshot and, with it, layers left over from images deleted meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pallet.errors import Conflict
from pallet.images.names import familiar, resolve_id
from pallet.oci import reference

if TYPE_CHECKING:
    from pallet.images.service import ImageService

InUse = Callable[[str], "bool | str"]


def remove(svc: ImageService, ref: str, force: bool, in_use: InUse) -> list[dict[str, str]]:
    """Docker's ``DELETE /images/{name}``; returns Untagged/Deleted records."""
    with svc.lock:
        image_id, by_id = resolve_id(svc.records, ref)
        refs = svc.records.refs_of(image_id)
        records: list[dict[str, str]] = []
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
            with svc.db.tx() as conn:
                svc.records.delete_ref(conn, name)
            records.append({"Untagged": familiar(name)})
            remaining = svc.records.refs_of(image_id)
            if "@" not in name:
                repo = name.rsplit(":", 1)[0]
                same_repo_tag = any(
                    k == "tag" and n.rsplit(":", 1)[0] == repo for n, k in remaining
                )
                if not same_repo_tag:
                    with svc.db.tx() as conn:
                        for n, k in remaining:
                            if k == "digest" and n.split("@", 1)[0] == repo:
                                svc.records.delete_ref(conn, n)
                                records.append({"Untagged": familiar(n)})
                    remaining = svc.records.refs_of(image_id)
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
                records.append({"Untagged": familiar(n)})
        records.extend(delete_image(svc, image_id))
        return records


def delete_image(svc: ImageService, image_id: str) -> list[dict[str, str]]:
    """Drop the record, unshared blobs and unused top layers; Docker's Deleted records."""
    row = svc.records.get(image_id)
    if row is None:
        return []
    with svc.db.tx() as conn:
        svc.records.delete_image(conn, image_id)
    out = [{"Deleted": image_id}]
    keep_blobs = svc.records.referenced_blobs()
    for d in {image_id, row.manifest_digest, *(x.digest for x in row.layers)}:
        if d and d not in keep_blobs:
            svc.content.delete(d)
    keep_chains = svc.records.referenced_chains()
    for layer in reversed(row.layers):
        cid = layer.chain_id
        if cid in keep_chains or not svc.snapshotter.exists(cid):
            break
        if svc.snapshotter.children(cid):
            break  # a container (or another layer) still sits on it
        svc.snapshotter.remove(cid)
        out.append({"Deleted": cid})
    return out


def prune(svc: ImageService, dangling_only: bool, in_use: InUse) -> dict[str, Any]:
    """``POST /images/prune``: dangling images, or all unused ones (``-a``)."""
    deleted: list[dict[str, str]] = []
    reclaimed = 0
    with svc.lock:
        for img in svc.list():
            if in_use(img.id):
                continue
            if dangling_only and img.repo_tags:
                continue
            for n in [*img.repo_tags, *img.repo_digests]:
                deleted.append({"Untagged": n})
            row = svc.records.get(img.id)
            sizes = {x.chain_id: x.content_size for x in row.layers} if row else {}
            recs = delete_image(svc, img.id)
            # as dockerd: the layers gone count, not those another image keeps
            reclaimed += sum(sizes.get(r["Deleted"], 0) for r in recs if "Deleted" in r)
            deleted.extend(recs)
    return {"ImagesDeleted": deleted or None, "SpaceReclaimed": reclaimed}


def release(svc: ImageService, container_key: str) -> None:
    """Remove a container's snapshot; also drops layers of images deleted meanwhile."""
    if not svc.snapshotter.exists(container_key):
        return
    parent = svc.snapshotter.stat(container_key).parent
    svc.snapshotter.remove(container_key)
    with svc.lock:
        keep = svc.records.referenced_chains()
        while parent and parent not in keep and not svc.snapshotter.children(parent):
            nxt = svc.snapshotter.stat(parent).parent
            svc.snapshotter.remove(parent)
            parent = nxt
