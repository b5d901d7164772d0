"""The ``Image`` value handed to the engine and the API views. Its stored config document
stays the dict it was decoded from (its bytes are the image ID); the ``config`` object in it
is read once into a typed :class:`~pallet.api.view_config.ConfigView` (``run_config``), its
descriptive top-level fields into :class:`ImageMeta` (``meta``)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from pallet.api import gojson
from pallet.api.view_config import ConfigView, decode_config
from pallet.errors import DataCorruption


@dataclass(frozen=True)
class Layer:
    digest: str  # blob digest (compressed or not)
    diff_id: str  # digest of the uncompressed tar
    media_type: str
    size: int  # blob size
    content_size: int  # bytes of file content, Docker's layer "Size"
    chain_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "digest": self.digest,
            "diff_id": self.diff_id,
            "media_type": self.media_type,
            "size": self.size,
            "content_size": self.content_size,
            "chain_id": self.chain_id,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Layer:
        return cls(
            d["digest"],
            d["diff_id"],
            d["media_type"],
            int(d["size"]),
            int(d["content_size"]),
            d["chain_id"],
        )


class ImageMeta(msgspec.Struct):
    """The descriptive top-level fields of an image config (OCI's and Docker's), ``""``
    when absent or null."""

    architecture: str = ""
    os: str = ""
    variant: str = ""
    author: str = ""
    comment: str = ""
    parent: str = ""
    docker_version: str = ""
    container: str = ""


@dataclass(frozen=True)
class Image:
    id: str  # sha256:<hex> of the config blob
    repo_tags: list[str]  # familiar form: busybox:latest
    repo_digests: list[str]  # familiar form: busybox@sha256:...
    config: dict[str, Any]  # the whole image config document
    size: int
    created: str  # RFC3339, from the config
    top_snapshot: str | None
    layers: list[Layer] = field(default_factory=list)
    manifest_digest: str | None = None
    last_tag_time: str | None = None

    @property
    def container_config(self) -> dict[str, Any]:
        """The ``config`` object of the image config (Env, Cmd, ...); ``{}`` when absent."""
        c = self.config.get("config")
        return c if isinstance(c, dict) else {}

    @functools.cached_property
    def run_config(self) -> ConfigView:
        """The ``config`` object typed (Env, Cmd, Labels, ...), decoded on first use."""
        return decode_config(self.container_config)

    @functools.cached_property
    def meta(self) -> ImageMeta:
        """Architecture, OS, author, comment, ... typed, decoded on first use."""
        try:
            return msgspec.convert(gojson.fold(self.config, ImageMeta), ImageMeta, strict=False)
        except msgspec.ValidationError as exc:
            raise DataCorruption(f"the image's config is not an image config: {exc}") from None

    @property
    def short_id(self) -> str:
        return self.id.removeprefix("sha256:")[:12]


def parse_time(value: str | None) -> datetime | None:
    """RFC3339 (nanoseconds allowed) -> aware datetime; None if absent or invalid."""
    if not value:
        return None
    s = value.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    if "." in s:
        head, _, rest = s.partition(".")
        i = 0
        while i < len(rest) and rest[i].isdigit():
            i += 1
        s = f"{head}.{rest[:i][:6].ljust(6, '0')}{rest[i:]}"
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def unix_time(value: str | None) -> int:
    """Seconds since the epoch of an RFC 3339 time (0 if absent or invalid); cached, as
    the image list converts the same creation times on every request."""
    t = parse_time(value)
    return int(t.timestamp()) if t else 0
