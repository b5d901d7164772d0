"""The OSV database: atomic imports, status, ecosystem version rules, matching."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pallet.errors import InvalidArgument
from pallet.scancore import versions
from pallet.scancore.match import ecosystem, in_range, match
from pallet.scancore.model import Inventory, LayerInfo, OSInfo, Package
from pallet.scancore.osvdb import MissingDB, OSVDatabase, import_path
from pallet.scancore.scanner import check_fresh, scan
from pallet.scancore.severity import rate
from pallet.testing.scan_images import osv_record, osv_zip

CRIT = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


def _zip(tmp_path: Path, name: str, records: list[dict[str, object]]) -> Path:
    path = tmp_path / name
    path.write_bytes(osv_zip(records))
    return path


def _pkg(name: str, version: str, kind: str = "deb", source: str = "") -> Package:
    return Package(name, version, kind, f"pkg:{kind}/{name}@{version}", source=source or name,
                   source_version=version if kind == "deb" else "", layer="sha256:l1")


def _inv(*pkgs: Package, os_id: str = "debian", version_id: str = "12") -> Inventory:
    return Inventory("img", "sha256:x", OSInfo(os_id, version_id), [LayerInfo("sha256:l1")],
                     list(pkgs))


def test_import_zip_and_directory_then_status(tmp_path: Path) -> None:
    db = tmp_path / "osv.sqlite"
    st = import_path(db, _zip(tmp_path, "Debian.zip", [
        osv_record("DSA-1", "Debian:12", "openssl", "3.0.11-1~deb12u1", severity="HIGH")]))
    assert (st.name, st.records) == ("Debian", 1)
    recs = tmp_path / "PyPI"
    recs.mkdir()
    (recs / "a.json").write_text(json.dumps(osv_record("GHSA-1", "PyPI", "Requests", "2.20.0")))
    import_path(db, recs)
    status = OSVDatabase(db).status()
    assert [(s.name, s.records) for s in status.sources] == [("Debian", 1), ("PyPI", 1)]
    assert status.records == 2 and status.modified == "2026-12-01T00:00:00Z"
    # PyPI names are normalised (PEP 503) on both sides
    assert [a.vuln for a in OSVDatabase(db).affected("PyPI", "requests")] == ["GHSA-1"]


def test_reimport_replaces_the_source_and_a_broken_file_leaves_the_old_db(
        tmp_path: Path) -> None:
    db = tmp_path / "osv.sqlite"
    import_path(db, _zip(tmp_path, "Debian.zip", [osv_record("DSA-1", "Debian:12", "a", "1")]))
    import_path(db, _zip(tmp_path, "Debian.zip", [osv_record("DSA-2", "Debian:12", "b", "1"),
                                                   osv_record("DSA-3", "Debian:12", "c", "1")]))
    assert OSVDatabase(db).status().records == 2
    before = db.read_bytes()
    bad = tmp_path / "Debian.zip"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InvalidArgument, match="not a readable OSV zip"):
        import_path(db, bad)
    broken = tmp_path / "dir"
    broken.mkdir()
    (broken / "ok.json").write_text(json.dumps(osv_record("X-1", "npm", "x", "1.0.0")))
    (broken / "bad.json").write_text("{not json")
    with pytest.raises(InvalidArgument, match=r"bad\.json: not JSON"):
        import_path(db, broken)
    assert db.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize(("kind", "low", "high"), [
    ("deb", "1:1.0-1", "1:1.0-1+b1"),
    ("deb", "2.0~rc1-1", "2.0-1"),
    ("deb", "9.9-1", "1:0.1-1"),  # the epoch wins
    ("pypi", "1.0rc1", "1.0"),
    ("pypi", "1.0.post1", "1.1.dev0"),
    ("apk", "1.2.3-r9", "1.2.3-r10"),
    ("apk", "1.2.3_rc1-r0", "1.2.3-r0"),
    ("npm", "1.9.0", "1.10.0"),
    ("npm", "2.0.0-beta.2", "2.0.0"),
])
def test_versions_follow_each_ecosystems_rules(kind: str, low: str, high: str) -> None:
    assert versions.compare(kind, low, high) == -1
    assert versions.compare(kind, high, low) == 1


def test_range_events() -> None:
    evs = [{"introduced": "0"}, {"fixed": "1.0-3"}]
    assert in_range("deb", "1.0-2", evs) == (True, "1.0-3")
    assert in_range("deb", "1.0-3", evs) == (False, "")
    two = [{"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "2.0"}, {"fixed": "2.1"}]
    assert in_range("pypi", "1.5", two)[0] is False
    assert in_range("pypi", "2.0.5", two) == (True, "2.1")
    assert in_range("pypi", "0.9", two)[0] is False
    last = [{"introduced": "0"}, {"last_affected": "3.1.0"}]
    assert in_range("npm", "3.1.0", last) == (True, "")
    assert in_range("npm", "3.1.1", last)[0] is False


def test_match_uses_the_source_package_and_release(tmp_path: Path) -> None:
    db = tmp_path / "osv.sqlite"
    import_path(db, _zip(tmp_path, "Debian.zip", [
        osv_record("DSA-9", "Debian:12", "glibc", "2.36-9+deb12u4", cvss=CRIT),
        osv_record("DSA-10", "Debian:11", "glibc", "2.31-13+deb11u9"),
        osv_record("DEB-U", "Debian:12", "glibc", None, severity="LOW"),
    ]))
    inv = _inv(_pkg("libc6", "2.36-9", source="glibc"))
    found = match(inv, OSVDatabase(db))
    assert [(f.id, f.package, f.installed, f.fixed, f.severity) for f in found] == [
        ("DSA-9", "libc6", "2.36-9", "2.36-9+deb12u4", "CRITICAL"),
        ("DEB-U", "libc6", "2.36-9", "", "LOW")]
    assert found[0].score == 9.8
    withdrawn = osv_record("DSA-11", "Debian:12", "glibc", "9.9-1", severity="HIGH")
    withdrawn["withdrawn"] = "2026-11-01T00:00:00Z"
    import_path(db, _zip(tmp_path, "Retracted.zip", [withdrawn]))
    assert "DSA-11" not in [f.id for f in match(inv, OSVDatabase(db))]
    fixed = _inv(_pkg("libc6", "2.36-9+deb12u4", source="glibc"))
    assert [f.id for f in match(fixed, OSVDatabase(db))] == ["DEB-U"]


def test_ecosystem_names() -> None:
    assert ecosystem(_pkg("a", "1"), OSInfo("debian", "12")) == "Debian:12"
    assert ecosystem(_pkg("a", "1"), OSInfo("ubuntu", "22.04")) == "Ubuntu:22.04"
    assert ecosystem(_pkg("a", "1", "apk"), OSInfo("alpine", "3.19.1")) == "Alpine:v3.19"
    assert ecosystem(_pkg("a", "1", "pypi"), OSInfo()) == "PyPI"


def test_severity_sources() -> None:
    assert rate({"database_specific": {"severity": "MODERATE"}}) == ("MEDIUM", None)
    assert rate({"severity": [{"type": "CVSS_V3", "score": CRIT}]}) == ("CRITICAL", 9.8)
    assert rate({"severity": [{"type": "Ubuntu", "score": "high"}]})[0] == "HIGH"
    assert rate({}) == ("UNKNOWN", None)
    per_package = {"affected": [{"severity": [{"type": "CVSS_V3", "score": CRIT}]}]}
    assert rate(per_package) == ("CRITICAL", 9.8)
    debian = {"affected": [{"ecosystem_specific": {"urgency": "unimportant"}}]}
    assert rate(debian)[0] == "LOW"
    unset = {"affected": [{"ecosystem_specific": {"urgency": "not yet assigned"}}]}
    assert rate(unset)[0] == "UNKNOWN"


def test_missing_and_stale_database(tmp_path: Path) -> None:
    db = tmp_path / "osv.sqlite"
    with pytest.raises(MissingDB, match="pallet scan db import"):
        scan(_inv(), db)
    import_path(db, _zip(tmp_path, "npm.zip", [
        osv_record("GHSA-2", "npm", "x", "1.0.0", modified="2026-01-01T00:00:00Z")]))
    status = OSVDatabase(db).status()
    now = datetime(2026, 1, 5, tzinfo=UTC)
    check_fresh(status, timedelta(days=7), now)
    with pytest.raises(MissingDB, match="stale"):
        check_fresh(status, timedelta(days=3), now)


def test_go_modules_and_stdlib_match_semver_ranges(tmp_path: Path) -> None:
    db = tmp_path / "osv.sqlite"
    import_path(db, _zip(tmp_path, "Go.zip", [
        osv_record("GO-2023-2185", "Go", "stdlib", "1.21.4", severity="HIGH"),
        osv_record("GO-2023-2102", "Go", "golang.org/x/net", "0.17.0", severity="MODERATE"),
    ]))
    inv = _inv(_pkg("stdlib", "v1.21.3", "golang"), _pkg("golang.org/x/net", "v0.17.0", "golang"))
    assert [(f.id, f.installed, f.fixed) for f in match(inv, OSVDatabase(db))] == [
        ("GO-2023-2185", "v1.21.3", "1.21.4")]
