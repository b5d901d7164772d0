"""``--format json``: a report in trivy's JSON shape (schema version 2), so CI steps
that read trivy's output (``.Results[].Vulnerabilities[]``) read pallet's unchanged.

Results are grouped as trivy groups them: the OS packages under
``IMAGE (ID VERSION)`` (class ``os-pkgs``), Python and Node.js packages under
``Python``/``Node.js`` and each Go binary under its path (class ``lang-pkgs``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from pallet.scancore.model import Finding, Inventory, Package


class PkgIdentifier(msgspec.Struct, omit_defaults=True):
    PURL: str = ""


class LayerRef(msgspec.Struct, omit_defaults=True):
    DiffID: str = ""


class Vulnerability(msgspec.Struct, omit_defaults=True):
    VulnerabilityID: str
    PkgID: str
    PkgName: str
    PkgIdentifier: PkgIdentifier
    InstalledVersion: str
    Status: str
    Layer: LayerRef
    SeveritySource: str
    PrimaryURL: str
    Severity: str
    FixedVersion: str = ""
    Title: str = ""
    VendorIDs: list[str] = []


class Result(msgspec.Struct, omit_defaults=True):
    Target: str
    Class: str
    Type: str
    Vulnerabilities: list[Vulnerability] = []


class OS(msgspec.Struct, omit_defaults=True):
    Family: str = ""
    Name: str = ""


class Metadata(msgspec.Struct, omit_defaults=True):
    OS: OS
    ImageID: str
    DiffIDs: list[str]


class Report(msgspec.Struct):
    SchemaVersion: int
    CreatedAt: str
    ArtifactName: str
    ArtifactType: str
    Metadata: Metadata
    Results: list[Result]


def _target(pkg: Package | None, inv: Inventory) -> tuple[str, str, str]:
    """(Target, Class, Type) of the result a package belongs to."""
    kind = pkg.type if pkg is not None else ""
    if kind == "pypi":
        return "Python", "lang-pkgs", "python-pkg"
    if kind == "npm":
        return "Node.js", "lang-pkgs", "node-pkg"
    if kind == "golang" and pkg is not None:
        return pkg.path, "lang-pkgs", "gobinary"
    os_name = " ".join(x for x in (inv.os.id, inv.os.version_id) if x) or "unknown"
    return f"{inv.image} ({os_name})", "os-pkgs", inv.os.id or "unknown"


def render(inv: Inventory, findings: list[Finding], now: datetime | None = None) -> str:
    by_purl = {p.purl: p for p in inv.packages}
    results: dict[tuple[str, str, str], list[Vulnerability]] = {}
    if inv.os.id:
        results[_target(None, inv)] = []
    for f in findings:
        pkg = by_purl.get(f.purl)
        results.setdefault(_target(pkg, inv), []).append(Vulnerability(
            VulnerabilityID=f.id, PkgID=f"{f.package}@{f.installed}", PkgName=f.package,
            PkgIdentifier=PkgIdentifier(f.purl), InstalledVersion=f.installed,
            Status="fixed" if f.fixed else "affected", Layer=LayerRef(f.layer),
            SeveritySource="osv", PrimaryURL=f"https://osv.dev/vulnerability/{f.id}",
            Severity=f.severity, FixedVersion=f.fixed, Title=f.summary, VendorIDs=f.aliases))
    report = Report(
        SchemaVersion=2,
        CreatedAt=(now or datetime.now(UTC)).isoformat(),
        ArtifactName=inv.image, ArtifactType="container_image",
        Metadata=Metadata(OS(inv.os.id, inv.os.version_id), inv.image_id,
                          [layer.diff_id for layer in inv.layers]),
        Results=[Result(t, c, k, v) for (t, c, k), v in results.items()],
    )
    return msgspec.json.format(msgspec.json.encode(report), indent=2).decode() + "\n"
