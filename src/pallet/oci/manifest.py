"""Manifest, index, descriptor and image-config JSON helpers (OCI image-spec 1.1).

Everything is plain ``dict``: these objects are hashed byte for byte, so the
canonical encoding (:func:`canonical_json`) matters more than a type model.
"""

from __future__ import annotations

import json
from typing import Any

from pallet.errors import DataCorruption
from pallet.oci import mediatypes as mt
from pallet.oci.digest import Digest, is_digest, sha256_bytes

JSON = dict[str, Any]


def canonical_json(value: Any) -> bytes:
    """Compact JSON with sorted keys: stable bytes, so stable digests."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def descriptor(
    media_type: str,
    digest: str,
    size: int,
    annotations: dict[str, str] | None = None,
    platform: dict[str, str] | None = None,
) -> JSON:
    d: JSON = {"mediaType": media_type, "digest": digest, "size": size}
    if annotations:
        d["annotations"] = dict(annotations)
    if platform:
        d["platform"] = dict(platform)
    return d


def manifest(config: JSON, layers: list[JSON], annotations: dict[str, str] | None = None) -> JSON:
    m: JSON = {"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST, "config": config, "layers": layers}
    if annotations:
        m["annotations"] = dict(annotations)
    return m


def index(manifests: list[JSON]) -> JSON:
    return {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": manifests}


def encode(obj: JSON) -> tuple[bytes, Digest]:
    data = canonical_json(obj)
    return data, sha256_bytes(data)


def decode(data: bytes, what: str) -> JSON:
    """Parse a JSON object, turning any failure into DataCorruption naming ``what``."""
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise DataCorruption(f"{what}: invalid JSON: {e}") from None
    if not isinstance(value, dict):
        raise DataCorruption(f"{what}: expected a JSON object")
    return value


def check_descriptor(d: Any, what: str) -> JSON:
    if (
        not isinstance(d, dict)
        or not isinstance(d.get("digest"), str)
        or not is_digest(d["digest"])
        or not isinstance(d.get("size", 0), int)
    ):
        raise DataCorruption(f"{what}: invalid descriptor")
    return d


def diff_ids(config: JSON) -> list[str]:
    """``rootfs.diff_ids`` of an image config, validated."""
    rootfs = config.get("rootfs")
    if not isinstance(rootfs, dict):
        raise DataCorruption("image config has no rootfs")
    ids = rootfs.get("diff_ids") or []
    if not isinstance(ids, list) or not all(isinstance(i, str) and is_digest(i) for i in ids):
        raise DataCorruption("image config has invalid rootfs.diff_ids")
    return list(ids)


def image_config(
    *,
    created: str,
    diff_ids: list[str],
    config: JSON | None = None,
    history: list[JSON] | None = None,
    architecture: str = "amd64",
    os: str = "linux",
    **extra: Any,
) -> JSON:
    """An image config (``application/vnd.oci.image.config.v1+json``)."""
    out: JSON = {
        "architecture": architecture,
        "config": config or {},
        "created": created,
        "history": history or [],
        "os": os,
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
    }
    out.update(extra)
    return out


def host_platform() -> dict[str, str]:
    import platform

    machine = platform.machine()
    arch = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}.get(
        machine, machine
    )
    return {"architecture": arch, "os": "linux"}
