"""Image records in SQLite: images (id = config digest), references (tags, digests)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pallet.images.model import Layer
from pallet.notation.times import now_rfc3339
from pallet.system.db import Database

SCHEMA = [
    """
    CREATE TABLE images (
        id TEXT PRIMARY KEY,
        config BLOB NOT NULL,
        manifest_digest TEXT,
        layers TEXT NOT NULL,
        size INTEGER NOT NULL,
        top_snapshot TEXT,
        added REAL NOT NULL,
        last_tag_time TEXT
    );
    CREATE TABLE image_refs (
        name TEXT PRIMARY KEY,
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        added REAL NOT NULL
    );
    CREATE INDEX image_refs_by_image ON image_refs(image_id)
    """
]


@dataclass(frozen=True)
class ImageRow:
    id: str
    config_bytes: bytes
    manifest_digest: str | None
    layers: list[Layer]
    size: int
    top_snapshot: str | None
    added: float
    last_tag_time: str | None


def _row(r: sqlite3.Row) -> ImageRow:
    return ImageRow(
        r["id"],
        bytes(r["config"]),
        r["manifest_digest"],
        [Layer.from_json(x) for x in json.loads(r["layers"])],
        int(r["size"]),
        r["top_snapshot"],
        float(r["added"]),
        r["last_tag_time"],
    )


class ImageRecords:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.migrate("images", SCHEMA)

    def get(self, image_id: str) -> ImageRow | None:
        r = self.db.one("SELECT * FROM images WHERE id=?", (image_id,))
        return _row(r) if r else None

    def all(self) -> list[ImageRow]:
        return [_row(r) for r in self.db.query("SELECT * FROM images ORDER BY added DESC")]

    def ids_with_prefix(self, hex_prefix: str) -> list[str]:
        like = "sha256:" + hex_prefix.replace("%", "").replace("_", "") + "%"
        return [r[0] for r in self.db.query("SELECT id FROM images WHERE id LIKE ?", (like,))]

    def ref(self, name: str) -> str | None:
        r = self.db.one("SELECT image_id FROM image_refs WHERE name=?", (name,))
        return str(r[0]) if r else None

    def refs_of(self, image_id: str) -> list[tuple[str, str]]:
        """(name, kind) of every reference to ``image_id``, oldest first."""
        rows = self.db.query(
            "SELECT name, kind FROM image_refs WHERE image_id=? ORDER BY added, name", (image_id,)
        )
        return [(r[0], r[1]) for r in rows]

    def all_refs(self) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for r in self.db.query("SELECT name, kind, image_id FROM image_refs ORDER BY added, name"):
            out.setdefault(r[2], []).append((r[0], r[1]))
        return out

    # -- writes (call inside db.tx() for multi-step changes) --------------
    def insert(self, conn: sqlite3.Connection, row: ImageRow) -> bool:
        """Add an image unless present; True if it was new."""
        cur = conn.execute(
            "INSERT OR IGNORE INTO images(id, config, manifest_digest, layers, size, top_snapshot,"
            " added, last_tag_time) VALUES(?,?,?,?,?,?,?,?)",
            (
                row.id,
                row.config_bytes,
                row.manifest_digest,
                json.dumps([x.to_json() for x in row.layers]),
                row.size,
                row.top_snapshot,
                row.added,
                row.last_tag_time,
            ),
        )
        return cur.rowcount == 1

    def set_ref(self, conn: sqlite3.Connection, name: str, image_id: str, kind: str) -> str | None:
        """Point ``name`` at ``image_id``; returns the image it pointed at before (if other)."""
        old = conn.execute("SELECT image_id FROM image_refs WHERE name=?", (name,)).fetchone()
        conn.execute(
            "INSERT INTO image_refs(name, image_id, kind, added) VALUES(?,?,?,?)"
            " ON CONFLICT(name) DO UPDATE SET image_id=excluded.image_id, added=excluded.added",
            (name, image_id, kind, time.time()),
        )
        if kind == "tag":
            conn.execute("UPDATE images SET last_tag_time=? WHERE id=?", (now_rfc3339(), image_id))
        return str(old[0]) if old and old[0] != image_id else None

    def delete_ref(self, conn: sqlite3.Connection, name: str) -> None:
        conn.execute("DELETE FROM image_refs WHERE name=?", (name,))

    def delete_image(self, conn: sqlite3.Connection, image_id: str) -> None:
        conn.execute("DELETE FROM image_refs WHERE image_id=?", (image_id,))
        conn.execute("DELETE FROM images WHERE id=?", (image_id,))

    def referenced_blobs(self, exclude: Iterable[str] = ()) -> set[str]:
        skip = set(exclude)
        out: set[str] = set()
        for row in self.all():
            if row.id in skip:
                continue
            out.add(row.id)
            if row.manifest_digest:
                out.add(row.manifest_digest)
            out.update(x.digest for x in row.layers)
        return out

    def referenced_chains(self, exclude: Iterable[str] = ()) -> set[str]:
        skip = set(exclude)
        return {x.chain_id for row in self.all() if row.id not in skip for x in row.layers}




def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
