"""The local OSV database: an SQLite index of OSV records, imported offline.

OSV publishes one zip per ecosystem (``Debian.zip``, ``PyPI.zip``...) of JSON
records. ``import_path`` loads a zip or a directory of records as a *source*
(named after the file), replacing that source's earlier import. The import
builds the new database beside the old one and renames it into place: a
broken file leaves the database as it was. Records are indexed by
(ecosystem, package name); ranges and versions stay as JSON for the matcher.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import msgspec

from pallet.errors import InvalidArgument, NotFound, Unavailable
from pallet.scancore import severity
from pallet.scancore.inventory import normalize_pypi
from pallet.scancore.model import DBStatus, SourceStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (name TEXT PRIMARY KEY, origin TEXT NOT NULL,
    imported_at TEXT NOT NULL, modified TEXT NOT NULL, records INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS vulns (id TEXT NOT NULL, source TEXT NOT NULL, summary TEXT,
    severity TEXT NOT NULL, score REAL, aliases TEXT NOT NULL, PRIMARY KEY (id, source));
CREATE TABLE IF NOT EXISTS affected (vuln TEXT NOT NULL, source TEXT NOT NULL,
    ecosystem TEXT NOT NULL, name TEXT NOT NULL, ranges TEXT NOT NULL, versions TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS affected_pkg ON affected (name);
"""


class Affected(msgspec.Struct, frozen=True):
    """One ``affected[]`` entry of a record, with the record's own fields."""

    vuln: str
    ecosystem: str
    ranges: list[dict[str, Any]]
    versions: list[str]
    summary: str
    severity: str
    score: float | None
    aliases: list[str]


_decode = msgspec.json.decode


def _dumps(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def db_path(state_root: Path) -> Path:
    """Where palletd's state keeps the database."""
    return state_root / "scan" / "osv.sqlite"


def _records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(entry name, record) of a zip or a directory of OSV JSON files."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.json") if p.is_file())
        for p in files:
            yield str(p.relative_to(path)), _parse(str(p), p.read_bytes())
        return
    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if not info.is_dir() and info.filename.endswith(".json"):
                    yield info.filename, _parse(info.filename, z.read(info))
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise InvalidArgument(f"{path}: not a readable OSV zip ({e})") from None


def _parse(name: str, raw: bytes) -> dict[str, Any]:
    try:
        doc = _decode(raw)
    except msgspec.DecodeError as e:
        raise InvalidArgument(f"{name}: not JSON ({e})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
        raise InvalidArgument(f"{name}: not an OSV record (no \"id\")")
    return doc


def _norm(ecosystem: str, name: str) -> str:
    return normalize_pypi(name) if ecosystem == "PyPI" else name


def source_name(path: Path) -> str:
    """The source an import of ``path`` fills: its name without ``.zip``."""
    return path.name.removesuffix(".zip") or "osv"


def import_path(db: Path, source: Path, now: datetime | None = None,
                name: str = "", origin: str = "") -> SourceStatus:
    """Load ``source`` (zip or directory) into ``db`` atomically, as source ``name``
    (default: :func:`source_name`) from ``origin`` (default: the path); its status."""
    if not source.exists():
        raise NotFound(f"{source}: no such file or directory")
    name = name or source_name(source)
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    db.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=db.parent, prefix=f".{db.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        conn = sqlite3.connect(tmp)
        try:
            if db.exists():
                old = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
                old.backup(conn)
                old.close()

            conn.executescript(SCHEMA)
            count, newest = _load(conn, name, source)
            conn.execute("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?)",
                         (name, origin or str(source), stamp, newest, count))
            conn.commit()
        finally:
            conn.close()
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, db)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return SourceStatus(name, count, stamp, origin or str(source))


def zip_directory(path: Path, out: IO[bytes]) -> None:
    """The ``*.json`` records under ``path`` as a zip (to send a directory to palletd)."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(path.rglob("*.json")):
            if p.is_file():
                z.write(p, str(p.relative_to(path)))


def _load(conn: sqlite3.Connection, name: str, source: Path) -> tuple[int, str]:
    conn.execute("DELETE FROM vulns WHERE source = ?", (name,))
    conn.execute("DELETE FROM affected WHERE source = ?", (name,))
    count, newest = 0, ""
    for _, rec in _records(source):
        count += 1
        newest = max(newest, str(rec.get("modified") or ""))
        if rec.get("withdrawn"):
            continue  # retracted by its source: counted, never matched
        rating, score = severity.rate(rec)
        aliases = [str(a) for a in rec.get("aliases") or []]
        conn.execute("INSERT OR REPLACE INTO vulns VALUES (?, ?, ?, ?, ?, ?)",
                     (rec["id"], name, str(rec.get("summary") or rec.get("details") or "")[:300],
                      rating, score, _dumps(aliases)))
        for aff in rec.get("affected") or []:
            pkg = aff.get("package") if isinstance(aff, dict) else None
            if not isinstance(pkg, dict) or not pkg.get("name") or not pkg.get("ecosystem"):
                continue
            eco = str(pkg["ecosystem"])
            conn.execute("INSERT INTO affected VALUES (?, ?, ?, ?, ?, ?)",
                         (rec["id"], name, eco, _norm(eco, str(pkg["name"])),
                          _dumps(aff.get("ranges") or []),
                          _dumps(aff.get("versions") or [])))
    if count == 0:
        raise InvalidArgument(f"{source}: no OSV records in it")
    return count, newest


class OSVDatabase:
    """Read access to an imported database."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            raise MissingDB(f"no vulnerability database at {path}: import one with "
                            "'pallet scan db import FILE.zip|DIR' (OSV zips, e.g. Debian.zip)")
        self.path = path
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row

    def close(self) -> None:
        self.conn.close()

    def status(self) -> DBStatus:
        rows = self.conn.execute("SELECT * FROM sources ORDER BY name").fetchall()
        sources = [SourceStatus(r["name"], r["records"], r["imported_at"], r["origin"])
                   for r in rows]
        return DBStatus(str(self.path), sources, sum(s.records for s in sources),
                        max((s.imported_at for s in sources), default=""),
                        max((r["modified"] for r in rows), default=""))

    def affected(self, ecosystem: str, name: str) -> list[Affected]:
        """Entries for a package in ``ecosystem`` (or any release of it: ``Debian:12``...)."""
        rows = self.conn.execute(
            "SELECT a.vuln, a.ecosystem, a.ranges, a.versions, v.summary, v.severity, v.score,"
            " v.aliases FROM affected a JOIN vulns v ON v.id = a.vuln AND v.source = a.source"
            " WHERE a.name = ? AND (a.ecosystem = ? OR a.ecosystem LIKE ?)",
            (_norm(ecosystem, name), ecosystem, ecosystem + ":%")).fetchall()
        return [Affected(r["vuln"], r["ecosystem"], _decode(r["ranges"]),
                         _decode(r["versions"]), r["summary"] or "", r["severity"],
                         r["score"], _decode(r["aliases"])) for r in rows]


class MissingDB(Unavailable):
    """No database, or one older than the caller allows: the scan cannot answer (503;
    the CLI's distinct exit code), which is not "no such image" (404)."""
