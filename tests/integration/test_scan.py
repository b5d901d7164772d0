"""Acceptance of ``pallet scan`` against a real palletd, as a new user would try it.

An image FROM the bootstrapped Debian image gets a planted package (a ``.deb``
built here with dpkg-deb and installed by ``RUN dpkg -i``) and matching OSV
records are imported: the scan exits 1 naming the ID, package, installed and
fixed versions; with the fixed version installed it exits 0; with no database it
exits 3. The SBOM validates (CycloneDX schema, spdx-tools) and counts what
``dpkg-query`` counts inside the running image.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pallet.testing.scan_images import osv_record, osv_zip

pytestmark = pytest.mark.integration
PKG = "pallet-planted"
CRIT = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


@pytest.fixture(scope="module")
def debian(palletd: Any) -> str:
    try:
        palletd.bootstrap("debian:bookworm", timeout=600)
    except (AssertionError, OSError) as exc:
        pytest.fail(f"{exc}\npalletd log:\n{palletd.log_tail()}", pytrace=False)
    return "debian:bookworm"


def _deb(dest: Path, version: str) -> Path:
    root = dest / f"pkg-{version}"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "usr/share/planted").mkdir(parents=True)
    (root / "usr/share/planted/VERSION").write_text(version + "\n")
    (root / "DEBIAN/control").write_text(
        f"Package: {PKG}\nVersion: {version}\nArchitecture: all\nMaintainer: t <t@example.org>\n"
        f"Description: a package planted by pallet's scan test\n")
    out = dest / f"{PKG}_{version}_all.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "--build", str(root), str(out)],
                   check=True, capture_output=True)
    return out


def _image(palletd: Any, base: str, tmp: Path, version: str) -> str:
    ctx = tmp / f"ctx-{version}"
    ctx.mkdir()
    shutil.copy(_deb(tmp, version), ctx / "planted.deb")
    (ctx / "Dockerfile").write_text(f"FROM {base}\nCOPY planted.deb /tmp/planted.deb\n"
                                    "RUN dpkg -i /tmp/planted.deb && rm /tmp/planted.deb\n")
    tag = f"scan-planted:{version.replace('~', '_')}"
    res = palletd.pallet("build", "-q", "-t", tag, str(ctx), timeout=300)
    assert res.returncode == 0, res.stderr
    return tag


def _pallet(palletd: Any, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("pallet")
    assert exe is not None
    env = dict(palletd.env, XDG_CACHE_HOME=str(tmp / "cache"))
    return subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=300)


def test_scan_acceptance(palletd: Any, debian: str, tmp_path: Path) -> None:
    if shutil.which("dpkg-deb") is None:
        pytest.fail("dpkg-deb is missing (apt-get install dpkg)", pytrace=False)
    vulnerable = _image(palletd, debian, tmp_path, "1.0-1")
    fixed = _image(palletd, debian, tmp_path, "1.0-2")
    db = Path(palletd.root) / "scan" / "osv.sqlite"
    try:
        # no database: a clear error and its own exit code, never "0 findings"
        for extra in ([], ["--local"]):
            res = _pallet(palletd, tmp_path, "scan", *extra, "--exit-code", "1", vulnerable)
            assert res.returncode == 3, res.stdout + res.stderr
            assert "pallet scan db import" in res.stderr and "Total" not in res.stdout
        records = tmp_path / "Debian.zip"
        records.write_bytes(osv_zip([
            osv_record("PALLET-2026-0001", "Debian:12", PKG, "1.0-2", cvss=CRIT),
            osv_record("PALLET-2026-0002", "Debian:12", PKG, "0.9-1", severity="HIGH"),
        ]))
        res = _pallet(palletd, tmp_path, "scan", "db", "import", str(records))
        assert res.returncode == 0, res.stderr
        assert "into palletd's database" in res.stdout and db.is_file()
        # a directory is sent as a zip; a broken file leaves the database as it was
        recs = tmp_path / "PyPI"
        recs.mkdir()
        (recs / "r.json").write_text(json.dumps(osv_record("PYSEC-1", "PyPI", "x", "1.0")))
        assert _pallet(palletd, tmp_path, "scan", "db", "import", str(recs)).returncode == 0
        (tmp_path / "Bad.zip").write_bytes(b"PK\x03\x04 not a zip")
        res = _pallet(palletd, tmp_path, "scan", "db", "import", str(tmp_path / "Bad.zip"))
        assert res.returncode != 0 and "not a readable OSV zip" in res.stderr
        res = _pallet(palletd, tmp_path, "scan", "db", "status", "--format", "json")
        assert [(s["name"], s["records"]) for s in json.loads(res.stdout)["sources"]] == [
            ("Debian", 2), ("PyPI", 1)]
        for extra in ([], ["--local"]):  # in palletd, and here through docker save
            res = _pallet(palletd, tmp_path, "scan", *extra, "--exit-code", "1", "--severity",
                          "HIGH,CRITICAL", vulnerable)
            assert res.returncode == 1, res.stdout + res.stderr
            line = next(x for x in res.stdout.splitlines() if "PALLET-2026-0001" in x)
            assert line.split()[:5] == [PKG, "PALLET-2026-0001", "CRITICAL", "1.0-1", "1.0-2"]
            assert "PALLET-2026-0002" not in res.stdout  # fixed in 0.9-1: not affected
            res = _pallet(palletd, tmp_path, "scan", *extra, "--exit-code", "1", "--severity",
                          "HIGH,CRITICAL", fixed)
            assert res.returncode == 0, res.stdout + res.stderr
        res = _pallet(palletd, tmp_path, "image", "scan", "--format", "json", vulnerable)
        vulns = json.loads(res.stdout)["Results"][0]["Vulnerabilities"]
        assert {v["VulnerabilityID"] for v in vulns} == {"PALLET-2026-0001"}
        res = _pallet(palletd, tmp_path, "scan", "sbom", "--format", "json", vulnerable)
        planted = next(p for p in json.loads(res.stdout)["packages"] if p["name"] == PKG)
        assert planted["created_by"].startswith("RUN dpkg -i /tmp/planted.deb")
        assert planted["purl"] == f"pkg:deb/debian/{PKG}@1.0-1?arch=all&distro=debian-12"
        _check_sbom(palletd, tmp_path, vulnerable)
    finally:
        db.unlink(missing_ok=True)


def _check_sbom(palletd: Any, tmp: Path, image: str) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    res = _pallet(palletd, tmp, "scan", "sbom", "--format", "cyclonedx", image)
    assert res.returncode == 0, res.stderr
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(res.stdout) is None
    debs = [c for c in json.loads(res.stdout)["components"]
            if c.get("purl", "").startswith("pkg:deb/")]
    out = tmp / "sbom.spdx.json"
    res = _pallet(palletd, tmp, "scan", "sbom", "--format", "spdx", "-o", str(out), image)
    assert res.returncode == 0, res.stderr
    assert validate_full_spdx_document(parse_file(str(out)), "SPDX-2.3") == []
    res = palletd.pallet("run", "--rm", image, "dpkg-query", "-W", "-f",
                         "${db:Status-Abbrev}\\n", timeout=120)
    assert res.returncode == 0, res.stderr
    installed = [x for x in res.stdout.splitlines() if x.startswith("ii")]
    assert len(debs) == len(installed) > 80
    assert os.path.exists(out)
