"""Engine API views of images, as :mod:`pallet.api.view_images` Structs: the items of
``GET /images/json`` and ``GET /images/{name}/json``.
The image's stored config document is converted into the typed ``Config`` and
``ContainerConfig`` (a stored value of the wrong type is reported as corrupt data).
"""

from __future__ import annotations

import msgspec

from pallet.api.view_config import decode_config
from pallet.api.view_images import (
    GraphDriver,
    ImageInspect,
    ImageMetadata,
    ImageSummary,
    RootFS,
)
from pallet.images.model import Image, unix_time


def labels(img: Image) -> dict[str, str]:
    return dict(img.run_config.Labels or {})


def image_summary(img: Image) -> ImageSummary:
    """One element of ``GET /images/json``."""
    return ImageSummary(
        Id=img.id, RepoTags=list(img.repo_tags), RepoDigests=list(img.repo_digests),
        Created=unix_time(img.created), Size=img.size, VirtualSize=img.size,
        Labels=labels(img))


def image_inspect(img: Image, graph_data: dict[str, str] | None = None) -> ImageInspect:
    """``GET /images/{name}/json``."""
    meta = img.meta
    return ImageInspect(
        Id=img.id, RepoTags=list(img.repo_tags), RepoDigests=list(img.repo_digests),
        Parent=meta.parent, Comment=meta.comment, Created=img.created,
        DockerVersion=meta.docker_version, Author=meta.author, Container=meta.container,
        ContainerConfig=decode_config(img.config.get("container_config")),
        Config=img.run_config,
        Architecture=meta.architecture, Variant=meta.variant or msgspec.UNSET,
        Os=meta.os, Size=img.size, VirtualSize=img.size,
        GraphDriver=GraphDriver(Name="overlay2", Data=graph_data or None),
        RootFS=RootFS(Type="layers", Layers=[x.diff_id for x in img.layers]),
        Metadata=ImageMetadata(LastTagTime=img.last_tag_time or "0001-01-01T00:00:00Z"))
