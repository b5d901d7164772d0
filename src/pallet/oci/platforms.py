"""Platform strings (``linux/arm64/v8``) and picking a manifest from an index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pallet.errors import InvalidArgument, NotFound
from pallet.oci.manifest import host_platform

_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armhf": "arm",
                 "armel": "arm", "i386": "386"}
_DEFAULT_VARIANT = {"arm64": "v8"}


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        s = f"{self.os}/{self.architecture}"
        return f"{s}/{self.variant}" if self.variant else s


def host() -> Platform:
    p = host_platform()
    return Platform(p["os"], p["architecture"])


def parse(spec: str | None) -> Platform:
    """``linux/amd64``, ``linux/arm64/v8``, ``arm64`` (os defaults to linux); empty -> host."""
    if not spec:
        return host()
    parts = spec.strip().lower().split("/")
    if len(parts) == 1:
        parts = ["linux", parts[0]]
    if len(parts) > 3 or not all(parts):
        raise InvalidArgument(f"invalid platform {spec!r}: expected os/arch[/variant]")
    arch = _ARCH_ALIASES.get(parts[1], parts[1])
    return Platform(parts[0], arch, parts[2] if len(parts) == 3 else "")


def _matches(want: Platform, plat: dict[str, Any]) -> bool:
    if plat.get("os") != want.os or plat.get("architecture") != want.architecture:
        return False
    if want.variant:
        have = plat.get("variant") or _DEFAULT_VARIANT.get(want.architecture, "")
        return bool(have == want.variant)
    return True


def select(manifests: list[dict[str, Any]], want: Platform) -> dict[str, Any]:
    """The descriptor for ``want`` in an index's ``manifests`` (first match, as Docker)."""
    candidates = [m for m in manifests if isinstance(m, dict)
                  and isinstance(m.get("platform"), dict) and _matches(want, m["platform"])]
    if not candidates:
        raise NotFound(f"no matching manifest for {want} in the manifest list entries")
    if not want.variant:
        # prefer the variant-less (or default-variant) entry, like containerd's matcher
        plain = [m for m in candidates if m["platform"].get("variant", "") in
                 ("", _DEFAULT_VARIANT.get(want.architecture, ""))]
        if plain:
            return plain[0]
    return candidates[0]
