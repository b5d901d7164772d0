"""Docker/containers-common seccomp profile -> OCI ``linux.seccomp`` object.

The profile Debian ships (``/usr/share/containers/seccomp.json``) has ``archMap``,
per-rule ``includes``/``excludes`` on capabilities, arches and ``minKernel``, errno
names and comments. crun and runc silently accept it as-is but then load every
conditional rule, so it must be converted for the container's capability set and
architecture, as moby's ``profiles/seccomp`` does.
"""

from __future__ import annotations

import copy
import json
import platform
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pallet.errors import DataCorruption, InvalidArgument

DEFAULT_PROFILE = Path("/usr/share/containers/seccomp.json")

# uname machine -> Go arch name (used in includes/excludes)
_GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386",
           "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}
# Go arch -> native libseccomp arch
_SCMP_ARCH = {"amd64": "SCMP_ARCH_X86_64", "arm64": "SCMP_ARCH_AARCH64",
              "arm": "SCMP_ARCH_ARM", "386": "SCMP_ARCH_X86", "ppc64le": "SCMP_ARCH_PPC64LE",
              "s390x": "SCMP_ARCH_S390X", "riscv64": "SCMP_ARCH_RISCV64"}
# libseccomp sub-arch -> Go arch name, so includes like ["amd64","x32","x86"] match
_SUBARCH_GO = {"SCMP_ARCH_X86": "x86", "SCMP_ARCH_X32": "x32", "SCMP_ARCH_ARM": "arm",
               "SCMP_ARCH_S390": "s390"}

_ARG_KEYS = ("index", "value", "valueTwo", "op")

_cache: dict[tuple[str, float], dict[str, Any]] = {}
_lock = threading.Lock()


def load_profile(path: Path = DEFAULT_PROFILE) -> dict[str, Any]:
    """The parsed profile, cached per (path, mtime). Callers must not mutate it."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        raise InvalidArgument(
            f"seccomp profile {path} not found (install golang-github-containers-common)"
        ) from None
    key = (str(path), mtime)
    with _lock:
        cached = _cache.get(key)
        if cached is None:
            try:
                cached = json.loads(path.read_bytes())
            except ValueError as e:
                raise DataCorruption(f"seccomp profile {path}: {e}") from None
            if not isinstance(cached, dict) or "syscalls" not in cached:
                raise DataCorruption(f"seccomp profile {path}: not a seccomp profile")
            _cache.clear()
            _cache[key] = cached
    return cached


def go_arch(machine: str | None = None) -> str:
    m = machine or platform.machine()
    return _GOARCH.get(m, m)


def _kernel_at_least(min_kernel: str, kernel: tuple[int, int] | None) -> bool:
    if kernel is None:
        return True
    try:
        major, minor = (int(x) for x in min_kernel.split(".")[:2])
    except ValueError:
        return True
    return kernel >= (major, minor)


def _included(cond: Mapping[str, Any] | None, caps: set[str], arches: set[str],
              kernel: tuple[int, int] | None) -> bool:
    if not cond:
        return True
    if cond.get("arches") and not arches.intersection(cond["arches"]):
        return False
    if cond.get("caps") and not all(c in caps for c in cond["caps"]):
        return False
    return not (cond.get("minKernel") and not _kernel_at_least(cond["minKernel"], kernel))


def _excluded(cond: Mapping[str, Any] | None, caps: set[str], arches: set[str],
              kernel: tuple[int, int] | None) -> bool:
    if not cond:
        return False
    if cond.get("arches") and arches.intersection(cond["arches"]):
        return True
    if cond.get("caps") and any(c in caps for c in cond["caps"]):
        return True
    return bool(cond.get("minKernel") and _kernel_at_least(cond["minKernel"], kernel))


def to_oci(
    profile: Mapping[str, Any],
    caps: Iterable[str],
    machine: str | None = None,
    kernel: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """The OCI ``linux.seccomp`` object of ``profile`` for ``caps`` on ``machine``.

    ``kernel`` (major, minor) is compared with ``minKernel`` conditions; None = new enough.
    """
    goarch = go_arch(machine)
    native = _SCMP_ARCH.get(goarch)
    if native is None:
        raise InvalidArgument(f"seccomp: unsupported architecture {goarch}")
    scmp_arches = [native]
    for entry in profile.get("archMap") or []:
        if entry.get("architecture") == native:
            scmp_arches += list(entry.get("subArchitectures") or [])
    if not profile.get("archMap") and profile.get("architectures"):
        scmp_arches = list(profile["architectures"])
    go_arches = {goarch} | {_SUBARCH_GO[a] for a in scmp_arches if a in _SUBARCH_GO}
    capset = set(caps)
    out: dict[str, Any] = {"defaultAction": profile["defaultAction"],
                           "architectures": scmp_arches, "syscalls": []}
    if "defaultErrnoRet" in profile:
        out["defaultErrnoRet"] = profile["defaultErrnoRet"]
    for key in ("listenerPath", "listenerMetadata", "flags"):
        if profile.get(key):
            out[key] = copy.deepcopy(profile[key])
    for rule in profile["syscalls"]:
        if not _included(rule.get("includes"), capset, go_arches, kernel):
            continue
        if _excluded(rule.get("excludes"), capset, go_arches, kernel):
            continue
        names = list(rule.get("names") or ([rule["name"]] if rule.get("name") else []))
        if not names:
            continue
        r: dict[str, Any] = {"names": names, "action": rule["action"]}
        if rule.get("args"):
            r["args"] = [{k: a[k] for k in _ARG_KEYS if k in a} for a in rule["args"]]
        if rule.get("errnoRet") is not None:
            r["errnoRet"] = rule["errnoRet"]
        out["syscalls"].append(r)
    return out


def default_seccomp(caps: Iterable[str], path: Path = DEFAULT_PROFILE,
                    machine: str | None = None) -> dict[str, Any]:
    """The converted default profile for a container with ``caps`` (cached parse)."""
    return to_oci(load_profile(path), caps, machine)
