"""``pallet scan`` on a ``docker save`` file: trivy's flags and exit codes, db commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import invoke
from pallet.testing import scan_images as si

CRIT = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


def _archive(tmp_path: Path, openssl: str) -> Path:
    base = si.layer_tar({"etc/os-release": si.DEBIAN_OS_RELEASE,
                      "var/lib/dpkg/status": si.dpkg_stanza("libc6", "2.36-9", "glibc").encode()})
    top = si.layer_tar({"var/lib/dpkg/status": (si.dpkg_stanza("libc6", "2.36-9", "glibc")
                                             + si.dpkg_stanza("openssl", openssl)).encode()})
    path = tmp_path / f"img-{openssl}.tar"
    path.write_bytes(si.save_archive([base, top], ["ADD rootfs", "RUN dpkg -i openssl.deb"]))
    return path


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str | None]:
    zipf = tmp_path / "Debian.zip"
    zipf.write_bytes(si.osv_zip([
        si.osv_record("DSA-5555-1", "Debian:12", "openssl", "3.0.11-1~deb12u1", cvss=CRIT),
        si.osv_record("DEBIAN-CVE-2020-1", "Debian:12", "glibc", None, severity="LOW"),
    ]))
    env: dict[str, str | None] = {"PALLET_SCAN_DB": str(tmp_path / "db" / "osv.sqlite"),
                                  "XDG_CACHE_HOME": str(tmp_path / "cache")}
    res = invoke(["scan", "db", "import", str(zipf)], env=env)
    assert res.exit_code == 0, res.stderr
    assert "Imported 2 records" in res.stdout
    return env


def test_exit_code_contract_names_id_package_and_versions(
        tmp_path: Path, env: dict[str, str | None]) -> None:
    vulnerable = _archive(tmp_path, "3.0.9-1")
    # trivy's CI flags are accepted as they are
    res = invoke(["scan", "--exit-code", "1", "--severity", "HIGH,CRITICAL", "--no-progress",
                  "--skip-db-update", "--input", str(vulnerable)], env=env)
    assert res.exit_code == 1, res.stderr
    line = next(x for x in res.stdout.splitlines() if "DSA-5555-1" in x)
    assert line.split()[:5] == ["openssl", "DSA-5555-1", "CRITICAL", "3.0.9-1",
                                "3.0.11-1~deb12u1"]
    assert "DEBIAN-CVE-2020-1" not in res.stdout  # LOW is not asked for
    fixed = _archive(tmp_path, "3.0.11-1~deb12u1")
    res = invoke(["scan", "--exit-code", "1", "--severity", "HIGH,CRITICAL", "--input",
                  str(fixed)], env=env)
    assert res.exit_code == 0, res.stdout + res.stderr
    assert "Total: 0 (HIGH: 0, CRITICAL: 0)" in res.stdout


def test_ignore_unfixed_ignorefile_and_default_exit_code(
        tmp_path: Path, env: dict[str, str | None]) -> None:
    img = str(_archive(tmp_path, "3.0.9-1"))
    res = invoke(["scan", "--input", img], env=env)
    assert res.exit_code == 0 and "DEBIAN-CVE-2020-1" in res.stdout  # --exit-code defaults to 0
    res = invoke(["scan", "--exit-code", "5", "--ignore-unfixed", "--input", img], env=env)
    assert res.exit_code == 5 and "DEBIAN-CVE-2020-1" not in res.stdout
    ignore = tmp_path / "ignore"
    ignore.write_text("# accepted risk\nDSA-5555-1\nDEBIAN-CVE-2020-1 exp:2000-01-01\n")
    res = invoke(["scan", "--exit-code", "5", "--ignorefile", str(ignore), "--format", "json",
                  "--input", img], env=env)
    assert res.exit_code == 5  # the expired line no longer ignores its ID
    doc = json.loads(res.stdout)  # trivy's JSON shape
    assert doc["SchemaVersion"] == 2 and doc["Metadata"]["OS"] == {"Family": "debian",
                                                                   "Name": "12"}
    [result] = doc["Results"]
    assert (result["Class"], result["Type"]) == ("os-pkgs", "debian")
    [vuln] = result["Vulnerabilities"]
    assert (vuln["VulnerabilityID"], vuln["PkgName"], vuln["InstalledVersion"],
            vuln["Status"], vuln["Severity"]) == ("DEBIAN-CVE-2020-1", "libc6", "2.36-9",
                                                  "affected", "LOW")


def test_missing_or_stale_db_has_its_own_exit_code(tmp_path: Path,
                                                   env: dict[str, str | None]) -> None:
    img = str(_archive(tmp_path, "3.0.9-1"))
    res = invoke(["scan", "--exit-code", "1", "--input", img],
                 env={**env, "PALLET_SCAN_DB": str(tmp_path / "none.sqlite")})
    assert res.exit_code == 3
    assert "no vulnerability database" in res.stderr and res.stdout == ""
    res = invoke(["scan", "--max-db-age", "1d", "--input", img], env=env)
    assert res.exit_code == 3 and "stale" in res.stderr  # the fixture's records are old
    assert invoke(["scan", "db", "status"], env={
        **env, "PALLET_SCAN_DB": str(tmp_path / "none.sqlite")}).exit_code == 3


def test_db_status_and_sbom_formats(tmp_path: Path, env: dict[str, str | None]) -> None:
    res = invoke(["scan", "db", "status", "--format", "json"], env=env)
    assert res.exit_code == 0
    assert json.loads(res.stdout)["sources"][0]["name"] == "Debian"
    img = str(_archive(tmp_path, "3.0.9-1"))
    res = invoke(["scan", "sbom", "--input", img], env=env)
    assert res.exit_code == 0 and "2 packages" in res.stdout
    assert "RUN dpkg -i openssl.deb" in res.stdout
    out = tmp_path / "bom.json"
    res = invoke(["scan", "sbom", "--format", "cyclonedx", "-o", str(out), "--input", img],
                 env=env)
    assert res.exit_code == 0 and json.loads(out.read_text())["specVersion"] == "1.6"
    res = invoke(["scan", "sbom", "--format", "spdx", "--input", img], env=env)
    assert json.loads(res.stdout)["spdxVersion"] == "SPDX-2.3"


def test_bad_flags_are_usage_errors(tmp_path: Path, env: dict[str, str | None]) -> None:
    img = str(_archive(tmp_path, "3.0.9-1"))
    res = invoke(["scan", "--severity", "HIGH,SEVERE", "--input", img], env=env)
    assert res.exit_code != 0 and "SEVERE" in res.stderr
    res = invoke(["scan", "--format", "xml", "--input", img], env=env)
    assert res.exit_code != 0 and "xml" in res.stderr
    res = invoke(["scan", "--ignorefile", str(tmp_path / "nope"), "--input", img], env=env)
    assert res.exit_code != 0 and "nope" in res.stderr
