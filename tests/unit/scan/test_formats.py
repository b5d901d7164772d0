"""The SBOM and report formats, checked against their own schemas and validators."""

from __future__ import annotations

import io
import json
from pathlib import Path

import msgspec

from pallet.scan.formats import cyclonedx_out, sarif_out, spdx_out
from pallet.scan.formats.table import render_findings, render_inventory
from pallet.scancore.archive import read_saved
from pallet.scancore.inventory import build, layer_infos
from pallet.scancore.model import DBStatus, Finding, Inventory, Report
from pallet.testing.scan_images import DEBIAN_OS_RELEASE, dpkg_stanza, layer_tar, save_archive

META = b"Metadata-Version: 2.1\nName: requests\nVersion: 2.19.0\n\n"


def _inventory() -> Inventory:
    layer = layer_tar({
        "etc/os-release": DEBIAN_OS_RELEASE,
        "var/lib/dpkg/status": (dpkg_stanza("libc6", "2.36-9", "glibc")
                                + dpkg_stanza("openssl", "3.0.9-1")).encode(),
        "usr/lib/python3/dist-packages/requests-2.19.0.dist-info/METADATA": META,
        "srv/node_modules/@babel/core/package.json": b'{"name":"@babel/core","version":"7.0.0"}',
    })
    saved = read_saved(io.BytesIO(save_archive([layer], ["RUN apt-get install openssl"])), None)
    return build("app:1.0", saved.image_id, layer_infos(saved.config), saved.layers)


def _findings(inv: Inventory) -> list[Finding]:
    ssl = next(p for p in inv.packages if p.name == "openssl")
    return [Finding("DSA-5000-1", "openssl", "3.0.9-1", "3.0.11-1~deb12u1", "HIGH", ssl.purl,
                    ssl.layer, "openssl flaw", ["CVE-2023-0001"], "Debian:12", 7.5),
            Finding("DEBIAN-CVE-1", "openssl", "3.0.9-1", "", "UNKNOWN", ssl.purl, ssl.layer)]


def test_cyclonedx_is_valid_1_6_with_components_and_vulnerabilities() -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    inv = _inventory()
    for findings in (None, _findings(inv)):
        text = cyclonedx_out.render(inv, findings)
        assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
        doc = json.loads(text)
        purls = {c.get("purl") for c in doc["components"]}
        assert {p.purl for p in inv.packages} <= purls
        [root] = [d for d in doc["dependencies"] if d["ref"] == inv.image_id]
        assert len(root["dependsOn"]) == len(inv.packages) + 1  # and the OS
    assert sorted(v["id"] for v in doc["vulnerabilities"]) == ["DEBIAN-CVE-1", "DSA-5000-1"]
    high = next(v for v in doc["vulnerabilities"] if v["id"] == "DSA-5000-1")
    assert high["ratings"][0]["severity"] == "high"
    assert high["affects"][0]["ref"].startswith("pkg:deb/debian/openssl@3.0.9-1")


def test_spdx_23_validates_with_spdx_tools(tmp_path: Path) -> None:
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    inv = _inventory()
    path = tmp_path / "sbom.spdx.json"
    path.write_text(spdx_out.render(inv))
    doc = parse_file(str(path))
    assert validate_full_spdx_document(doc, "SPDX-2.3") == []
    assert len(doc.packages) == len(inv.packages) + 1  # the image itself
    refs = {r.locator for p in doc.packages for r in p.external_references}
    assert refs == {p.purl for p in inv.packages}


def test_sarif_names_rules_and_locations() -> None:
    inv = _inventory()
    doc = json.loads(sarif_out.render(inv, _findings(inv)))
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["DSA-5000-1", "DEBIAN-CVE-1"]
    assert run["results"][0]["level"] == "error"
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "var/lib/dpkg/status"


def test_json_report_round_trips_and_tables_name_the_essentials() -> None:
    inv = _inventory()
    report = Report(inv, _findings(inv), DBStatus("x", [], 0, "", ""))
    assert msgspec.json.decode(msgspec.json.encode(report), type=Report) == report
    table = render_findings(inv, report.findings, ["UNKNOWN", "HIGH", "CRITICAL"])
    assert "Total: 2 (UNKNOWN: 1, HIGH: 1, CRITICAL: 0)" in table
    line = next(x for x in table.splitlines() if "DSA-5000-1" in x)
    assert "openssl" in line and "3.0.9-1" in line and "3.0.11-1~deb12u1" in line
    assert "(not fixed)" in table
    listing = render_inventory(inv)
    assert "4 packages" in listing and "RUN apt-get install openssl" in listing


def test_trivy_json_groups_results_as_trivy_does() -> None:
    from pallet.scan.formats import trivy_json

    inv = _inventory()
    by = {p.name: p for p in inv.packages}
    findings = [*_findings(inv),
                Finding("GHSA-x", "requests", "2.19.0", "2.20.0", "MEDIUM",
                        by["requests"].purl, by["requests"].layer),
                Finding("GHSA-y", "@babel/core", "7.0.0", "", "LOW",
                        by["@babel/core"].purl, by["@babel/core"].layer)]
    doc = json.loads(trivy_json.render(inv, findings))
    assert doc["ArtifactName"] == "app:1.0" and doc["ArtifactType"] == "container_image"
    assert doc["Metadata"]["DiffIDs"] == [layer.diff_id for layer in inv.layers]
    got = {(r["Target"], r["Class"], r["Type"]): [v["VulnerabilityID"]
                                                  for v in r["Vulnerabilities"]]
           for r in doc["Results"]}
    assert got == {("app:1.0 (debian 12)", "os-pkgs", "debian"): ["DSA-5000-1",
                                                                  "DEBIAN-CVE-1"],
                   ("Python", "lang-pkgs", "python-pkg"): ["GHSA-x"],
                   ("Node.js", "lang-pkgs", "node-pkg"): ["GHSA-y"]}
    first = doc["Results"][0]["Vulnerabilities"][0]
    assert first["FixedVersion"] == "3.0.11-1~deb12u1" and first["Status"] == "fixed"
    assert first["VendorIDs"] == ["CVE-2023-0001"]
