"""Engine API wire dicts for images: ``GET /images/json`` and ``GET /images/{name}/json``."""

from __future__ import annotations

from typing import Any

from pallet.images.model import Image, unix_time

_CONTAINER_CONFIG_KEYS = (
    ("Hostname", ""),
    ("Domainname", ""),
    ("User", ""),
    ("AttachStdin", False),
    ("AttachStdout", False),
    ("AttachStderr", False),
    ("ExposedPorts", None),
    ("Tty", False),
    ("OpenStdin", False),
    ("StdinOnce", False),
    ("Env", None),
    ("Cmd", None),
    ("Healthcheck", None),
    ("ArgsEscaped", None),
    ("Image", ""),
    ("Volumes", None),
    ("WorkingDir", ""),
    ("Entrypoint", None),
    ("OnBuild", None),
    ("Labels", None),
    ("StopSignal", None),
    ("Shell", None),
)
_OMIT_IF_NONE = {"ExposedPorts", "Healthcheck", "ArgsEscaped", "StopSignal", "Shell"}


def labels(img: Image) -> dict[str, str]:
    return dict(img.container_config.get("Labels") or {})


def image_summary(img: Image) -> dict[str, Any]:
    """One element of ``GET /images/json``."""
    return {
        "Id": img.id,
        "ParentId": "",
        "RepoTags": list(img.repo_tags),
        "RepoDigests": list(img.repo_digests),
        "Created": unix_time(img.created),
        "Size": img.size,
        "SharedSize": -1,
        "VirtualSize": img.size,
        "Labels": labels(img),
        "Containers": -1,
    }


def container_config(src: dict[str, Any]) -> dict[str, Any]:
    """Docker's ContainerConfig shape built from a config object (the image's ``config``)."""
    out: dict[str, Any] = {}
    for key, default in _CONTAINER_CONFIG_KEYS:
        value = src.get(key, default)
        if value is None and key in _OMIT_IF_NONE:
            continue
        out[key] = value
    return out


def image_inspect(img: Image, graph_data: dict[str, str] | None = None) -> dict[str, Any]:
    """``GET /images/{name}/json``."""
    cfg = img.config
    return {
        "Id": img.id,
        "RepoTags": list(img.repo_tags),
        "RepoDigests": list(img.repo_digests),
        "Parent": cfg.get("parent", ""),
        "Comment": cfg.get("comment", ""),
        "Created": img.created,
        "DockerVersion": cfg.get("docker_version", ""),
        "Author": cfg.get("author", ""),
        "Container": cfg.get("container", ""),
        "ContainerConfig": container_config(cfg.get("container_config") or {}),
        "Config": container_config(img.container_config),
        "Architecture": cfg.get("architecture", ""),
        **({"Variant": cfg["variant"]} if cfg.get("variant") else {}),
        "Os": cfg.get("os", ""),
        "Size": img.size,
        "VirtualSize": img.size,
        "GraphDriver": {"Name": "overlay2", "Data": graph_data or None},
        "RootFS": {"Type": "layers", "Layers": [x.diff_id for x in img.layers]},
        "Metadata": {"LastTagTime": img.last_tag_time or "0001-01-01T00:00:00Z"},
    }
