"""CycloneDX 1.6 JSON, written with cyclonedx-python-lib: the image as the BOM's
subject, one component per package (purl, layer and instruction as properties)
and, for a scan, the findings as vulnerabilities affecting those components."""

from __future__ import annotations

from decimal import Decimal

from pallet.scancore.model import Finding, Inventory

SCHEMA = (1, 6)


def render(inv: Inventory, findings: list[Finding] | None = None) -> str:
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.dependency import Dependency
    from cyclonedx.model.vulnerability import (
        BomTarget,
        Vulnerability,
        VulnerabilityRating,
        VulnerabilityScoreSource,
        VulnerabilitySeverity,
        VulnerabilitySource,
    )
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    bom = Bom()
    image = Component(name=inv.image, type=ComponentType.CONTAINER, version=inv.image_id,
                      bom_ref=inv.image_id or inv.image)
    bom.metadata.component = image
    if inv.os.id:
        osc = Component(name=inv.os.id, version=inv.os.version_id,
                        type=ComponentType.OPERATING_SYSTEM, bom_ref=f"os:{inv.os.id}")
        bom.components.add(osc)
    refs: dict[str, Component] = {}
    for p in inv.packages:
        if p.purl in refs:
            continue
        c = Component(
            name=p.name, version=p.version, type=ComponentType.LIBRARY, bom_ref=p.purl,
            purl=PackageURL.from_string(p.purl),
            properties=[Property(name="pallet:layer:diff_id", value=p.layer),
                        Property(name="pallet:layer:created_by", value=p.created_by or "-"),
                        Property(name="pallet:package:path", value=p.path or "-")],
        )
        refs[p.purl] = c
        bom.components.add(c)
    # the image's edges made at once: Bom.register_dependency scans every known
    # dependency per call (quadratic in packages; output's validate pays that once more)
    top = [c for c in bom.components]
    bom.dependencies.add(Dependency(ref=image.bom_ref,
                                    dependencies=[Dependency(ref=c.bom_ref) for c in top]))
    for f in findings or []:
        target = refs.get(f.purl)
        if target is None:
            continue
        sev = VulnerabilitySeverity(f.severity.lower()) if f.severity != "UNKNOWN" \
            else VulnerabilitySeverity.UNKNOWN
        rating = VulnerabilityRating(
            severity=sev, score=Decimal(str(f.score)) if f.score is not None else None,
            method=VulnerabilityScoreSource.CVSS_V3 if f.score is not None else None)
        bom.vulnerabilities.add(Vulnerability(
            bom_ref=f"{f.id}:{f.purl}", id=f.id, source=VulnerabilitySource(name="OSV"),
            description=f.summary or None, ratings=[rating],
            recommendation=f"upgrade {f.package} to {f.fixed}" if f.fixed else None,
            affects=[BomTarget(ref=target.bom_ref.value or f.purl)],
        ))
    return str(JsonV1Dot6(bom).output_as_string(indent=2)) + "\n"
