"""``GET /images/{name}/history``: an image's config history as Docker's wire records."""

from __future__ import annotations

from pallet.api.responses import HistoryItem
from pallet.images.model import Image, unix_time


def history(img: Image) -> list[HistoryItem]:
    """Newest first; only the newest record carries the image ID and tags, as in Docker."""
    hist = img.config.get("history") or []
    layers = list(img.layers)
    out: list[HistoryItem] = []
    li = 0
    if not hist:
        hist = [{"created": img.created} for _ in layers] or [{"created": img.created}]
    for h in hist:
        size = 0
        if not h.get("empty_layer") and li < len(layers):
            size = layers[li].content_size
            li += 1
        out.append(HistoryItem(Id="<missing>", Created=unix_time(h.get("created")),
                               CreatedBy=h.get("created_by", ""), Size=size,
                               Comment=h.get("comment", "")))
    out.reverse()
    out[0].Id = img.id
    out[0].Tags = list(img.repo_tags) or None
    return out
