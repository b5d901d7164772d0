"""SARIF 2.1.0 for code-scanning dashboards: one rule per vulnerability ID, one
result per finding, located at the package database file that lists it."""

from __future__ import annotations

from typing import Any

import msgspec

from pallet import __version__
from pallet.scancore.model import Finding, Inventory

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "note",
          "UNKNOWN": "note"}


def render(inv: Inventory, findings: list[Finding]) -> str:
    paths = {p.purl: p.path for p in inv.packages}
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in findings:
        rules.setdefault(f.id, {
            "id": f.id, "name": "OsPackageVulnerability",
            "shortDescription": {"text": f.summary or f.id},
            "properties": {"security-severity": str(f.score) if f.score is not None else "",
                           "tags": ["vulnerability", "security", f.severity]},
        })
        fixed = f"; fixed in {f.fixed}" if f.fixed else "; no fixed version"
        results.append({
            "ruleId": f.id, "level": _LEVEL.get(f.severity, "note"),
            "message": {"text": f"{f.package} {f.installed} is affected by {f.id} "
                                f"({f.severity}){fixed}"},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": paths.get(f.purl) or inv.image}}}],
        })
    doc = {
        "$schema": SCHEMA, "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "pallet scan", "version": __version__,
                                      "informationUri": "https://osv.dev",
                                      "rules": list(rules.values())}},
                  "results": results}],
    }
    return msgspec.json.format(msgspec.json.encode(doc), indent=2).decode() + "\n"
