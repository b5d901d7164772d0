"""Which of an inventory's packages an OSV database says are vulnerable.

Each package is looked up under its OSV ecosystem (``Debian:12``, ``Alpine:v3.19``,
``PyPI``, ``npm``, ``Go``) by the name OSV uses (the source package for dpkg and
apk). A version is affected when a record lists it, or when a range's events,
ordered by the ecosystem's own version rules, leave it between an
``introduced`` and the next ``fixed`` (or at or below ``last_affected``).
"""

from __future__ import annotations

from typing import Any

from pallet.scancore import versions
from pallet.scancore.model import Finding, Inventory, OSInfo, Package
from pallet.scancore.osvdb import Affected, OSVDatabase

RANGE_TYPES = ("ECOSYSTEM", "SEMVER")


def ecosystem(pkg: Package, os_info: OSInfo) -> str:
    """The OSV ecosystem a package's records are filed under ("" if none)."""
    if pkg.type == "deb":
        if os_info.id == "ubuntu":
            return f"Ubuntu:{os_info.version_id}"
        major = os_info.version_id.split(".")[0]
        return f"Debian:{major}" if major else "Debian"
    if pkg.type == "apk":
        parts = os_info.version_id.split(".")
        return f"Alpine:v{parts[0]}.{parts[1]}" if len(parts) > 1 else "Alpine"
    return {"pypi": "PyPI", "npm": "npm", "golang": "Go"}.get(pkg.type, "")


def _lookup(pkg: Package) -> tuple[str, str]:
    """(name, version) as OSV files them: the source package for distributions."""
    if pkg.type in ("deb", "apk"):
        return pkg.source or pkg.name, pkg.source_version or pkg.version
    return pkg.name, pkg.version


def in_range(kind: str, version: str, events: list[dict[str, Any]]) -> tuple[bool, str]:
    """(affected, first fixed version above ``version``) for one range's events."""
    points: list[tuple[Any, str, str]] = []
    for ev in events:
        for what in ("introduced", "fixed", "last_affected", "limit"):
            if what in ev:
                v = str(ev[what])
                k = None if what == "introduced" and v == "0" else versions.key(kind, v)
                points.append((k, what, v))
    have = versions.key(kind, version)
    points.sort(key=lambda p: (p[0] is not None, p[0] if p[0] is not None else 0))
    affected = False
    for k, what, _ in points:
        if what == "introduced" and (k is None or have >= k):
            affected = True
        elif k is not None and (have > k if what == "last_affected" else have >= k):
            affected = False
    fixed = [(k, v) for k, what, v in points if what == "fixed" and k is not None and k > have]
    return affected, min(fixed, key=lambda p: p[0])[1] if fixed else ""


def _check(pkg: Package, version: str, entry: Affected) -> tuple[bool, str]:
    hit = version in entry.versions
    fixed = ""
    for rng in entry.ranges:
        if rng.get("type") not in RANGE_TYPES:
            continue
        try:
            affected, fix = in_range(pkg.type, version, list(rng.get("events") or []))
        except versions.BadVersion:
            continue
        if affected:
            hit, fixed = True, fix or fixed
    return hit, fixed


def match(inventory: Inventory, db: OSVDatabase) -> list[Finding]:
    """Findings for every package, sorted by severity (worst first), package, ID."""
    out: dict[tuple[str, str, str], Finding] = {}
    for pkg in inventory.packages:
        eco = ecosystem(pkg, inventory.os)
        if not eco:
            continue
        name, version = _lookup(pkg)
        for entry in db.affected(eco, name):
            try:
                hit, fixed = _check(pkg, version, entry)
            except versions.BadVersion:
                continue
            key = (entry.vuln, pkg.name, pkg.version)
            if hit and key not in out:
                out[key] = Finding(entry.vuln, pkg.name, pkg.version, fixed, entry.severity,
                                   pkg.purl, pkg.layer, entry.summary, entry.aliases,
                                   entry.ecosystem, entry.score)
    order = {s: i for i, s in enumerate(("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"))}
    return sorted(out.values(), key=lambda f: (order.get(f.severity, 9), f.package, f.id))
