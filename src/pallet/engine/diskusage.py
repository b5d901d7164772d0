"""``GET /system/df`` parts in Docker's shapes (pure functions of records).

Images carry ``SharedSize`` (bytes of layers another image also uses) and
``Containers`` (how many containers use the image); ``LayersSize`` is measured on
disk (``pallet.images.gc.store_bytes``), so it counts garbage too. Build cache
entries are the classic builder's step images.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from pallet.api.responses import BuildCacheRecord
from pallet.api.view_images import ImageSummary
from pallet.images import views
from pallet.images.model import Image
from pallet.notation.times import rfc3339_seconds


def images_usage(images: Iterable[Image], containers_per_image: Mapping[str, int]
                 ) -> list[ImageSummary]:
    """Image summaries with SharedSize and Containers filled in."""
    imgs = list(images)
    users: Counter[str] = Counter()
    for img in imgs:
        for chain in {layer.chain_id for layer in img.layers}:
            users[chain] += 1
    out = []
    for img in imgs:
        view = views.image_summary(img)
        view.SharedSize = sum(layer.content_size for layer in img.layers
                              if users[layer.chain_id] > 1)
        view.Containers = containers_per_image.get(img.id, 0)
        out.append(view)
    out.sort(key=lambda v: v.Created, reverse=True)
    return out


def _rfc3339(created: str) -> str:
    return created or rfc3339_seconds(0)


def build_cache_usage(rows: Iterable[tuple[str, str, str]], images: Mapping[str, Image],
                      containers_per_image: Mapping[str, int]) -> list[BuildCacheRecord]:
    """Docker's ``BuildCache`` records from the build cache's (key, image, parent) rows.

    A step's size is what its image adds on top of its parent (its new layers).
    """
    out: list[BuildCacheRecord] = []
    seen: set[str] = set()
    for _key, image_id, parent_id in rows:
        img = images.get(image_id)
        if img is None or image_id in seen:
            continue
        seen.add(image_id)
        parent = images.get(parent_id) if parent_id else None
        below = {layer.chain_id for layer in parent.layers} if parent else set()
        size = sum(layer.content_size for layer in img.layers if layer.chain_id not in below)
        short_parent = parent_id.removeprefix("sha256:")[:25]
        out.append(BuildCacheRecord(
            ID=image_id.removeprefix("sha256:")[:25], Parent=short_parent,
            Parents=[short_parent] if short_parent else None, Type="regular",
            Description="pallet build step " + image_id.removeprefix("sha256:")[:12],
            InUse=containers_per_image.get(image_id, 0) > 0, Shared=bool(img.repo_tags),
            Size=size, CreatedAt=_rfc3339(img.created), LastUsedAt=_rfc3339(img.created),
            UsageCount=1))
    return out
