"""A stage's image as the build goes: its state, cache hits and step commits.

Each step's result is an image (Docker's classic builder), so a step either
reuses the image cached under its key (``cache_hit``) or publishes the stage's
config, plus the step's layer if any, as a new image (``commit``).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pallet.build.cache import step_key
from pallet.build.instructions import DEFAULT_SHELL, Scope
from pallet.errors import PalletError
from pallet.images.commit import commit_image
from pallet.images.model import Layer
from pallet.notation.times import now_rfc3339, rfc3339_nano

if TYPE_CHECKING:
    from pallet.build.executor import _Build

BUILDKIT_COMMENT = "buildkit.dockerfile.v0"


@dataclass
class StageState:
    """The image a stage has built so far, and its expansion scope."""

    image_id: str | None
    config: dict[str, Any]  # the whole image config document
    layers: list[Layer]
    args: dict[str, str] = field(default_factory=dict)
    cmd_set: bool = False

    @property
    def cfg(self) -> dict[str, Any]:
        c = self.config.setdefault("config", {})
        assert isinstance(c, dict)
        return c

    @property
    def top_chain(self) -> str | None:
        return self.layers[-1].chain_id if self.layers else None

    @property
    def shell(self) -> list[str]:
        return list(self.cfg.get("Shell") or DEFAULT_SHELL)

    def scope(self, escape: str) -> Scope:
        return Scope(list(self.cfg.get("Env") or []), dict(self.args), escape)

    @property
    def short(self) -> str:
        return (self.image_id or "scratch").removeprefix("sha256:")[:12]


def rfc3339(epoch: int | None) -> str:
    return rfc3339_nano(epoch * 1_000_000_000) if epoch is not None else now_rfc3339()


async def commit_cached(b: _Build, st: StageState, created_by: str,
                        key_extra: Any = None) -> None:
    """A config-only step: reuse a cached image or commit a new one."""
    key = step_key(st.image_id, "meta", created_by, key_extra, _cfg_key(st))
    if await cache_hit(b, st, key):
        return
    await commit(b, st, key, created_by, empty=True)
    await b.out(f" ---> {st.short}\n")


async def cache_hit(b: _Build, st: StageState, key: str) -> bool:
    if b.opts.no_cache:
        return False
    hit = _cached(b, key)  # two primary-key reads: cheaper than a thread hop
    if hit is None or not _from_allowed_source(b, hit[1], hit[2]):
        return False
    st.image_id, st.config, st.layers = hit
    await b.out(f" ---> Using cache\n ---> {st.short}\n")
    return True


def _from_allowed_source(b: _Build, config: dict[str, Any], layers: list[Layer]) -> bool:
    """With ``cache_from``, as the classic builder: a cached step counts only when its image
    is one of those images or a step of their making (its layers and history a prefix of
    theirs); a name that is no image gives nothing."""
    if b.opts.cache_from is None:
        return True
    history = config.get("history") or []
    for ref in b.opts.cache_from:
        try:
            src = b.images.resolve(ref)
        except PalletError:
            continue
        src_history = src.config.get("history") or []
        if (list(src.layers[:len(layers)]) == layers and len(layers) <= len(src.layers)
                and src_history[:len(history)] == history):
            return True
    return False


def _cached(b: _Build, key: str) -> tuple[str, dict[str, Any], list[Layer]] | None:
    """The image cached under ``key`` (a freshly parsed config), if it still exists."""
    image_id = b.b.cache.get(key)
    if image_id is None:
        return None
    row = b.images.records.get(image_id)
    if row is None:
        return None
    config = json.loads(row.config_bytes)
    return row.id, config, list(row.layers)


async def commit(b: _Build, st: StageState, key: str | None, created_by: str, *,
                 empty: bool, layer: Layer | None = None, record: bool = True) -> str:
    """Publish the stage's config (+ ``layer``) as an image and remember it."""
    created = rfc3339(b.opts.epoch)
    parent = st.image_id
    doc = st.config
    doc["created"] = created
    doc.setdefault("architecture", b.platform["architecture"])
    doc.setdefault("os", b.platform["os"])
    if created_by:
        entry: dict[str, Any] = {"created": created, "created_by": created_by,
                                 "comment": BUILDKIT_COMMENT}
        if layer is None:
            entry["empty_layer"] = True
        doc["history"] = [*(doc.get("history") or []), entry]
    if layer is not None:
        st.layers = [*st.layers, layer]
    doc.pop("container", None)
    doc.pop("container_config", None)
    image_id = await asyncio.to_thread(commit_image, b.images, doc, st.layers)
    st.image_id = image_id
    if key is not None and record:
        b.b.cache.put(key, image_id, parent)
    return image_id


def _cfg_key(st: StageState) -> dict[str, Any]:
    return {"cmd_set": st.cmd_set}
