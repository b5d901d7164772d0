"""The build cache: step key -> the image that step produced (Docker's classic model).

A key is the sha256 of the parent image ID, the expanded instruction and what
it depends on (copied file content and metadata, build args, mount specs). Each
step's result is an image, so a hit is one row and an image lookup. Rows whose
image was deleted are ignored and replaced.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from pallet.system.db import Database

SCHEMA = [
    """
    CREATE TABLE build_cache (
        key TEXT PRIMARY KEY,
        image_id TEXT NOT NULL,
        parent_id TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE INDEX build_cache_by_image ON build_cache(image_id)
    """
]


def step_key(parent: str | None, *parts: Any) -> str:
    """A stable key from the parent image ID and JSON-able parts."""
    data = json.dumps([parent or "scratch", *parts], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


class BuildCache:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.migrate("build", SCHEMA)

    def get(self, key: str) -> str | None:
        r = self.db.one("SELECT image_id FROM build_cache WHERE key=?", (key,))
        return str(r[0]) if r else None

    def put(self, key: str, image_id: str, parent_id: str | None) -> None:
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO build_cache(key, image_id, parent_id, created) VALUES(?,?,?,?)"
                " ON CONFLICT(key) DO UPDATE SET image_id=excluded.image_id,"
                " parent_id=excluded.parent_id, created=excluded.created",
                (key, image_id, parent_id or "", time.time()),
            )

    def forget(self, keys: list[str] | None = None) -> int:
        """Drop rows (all when ``keys`` is None); returns how many."""
        with self.db.tx() as conn:
            if keys is None:
                return int(conn.execute("DELETE FROM build_cache").rowcount)
            n = 0
            for k in keys:
                n += int(conn.execute("DELETE FROM build_cache WHERE key=?", (k,)).rowcount)
            return n

    def image_ids(self) -> set[str]:
        """Images made by build steps (intermediate and final)."""
        return {str(r[0]) for r in self.db.query("SELECT DISTINCT image_id FROM build_cache")}

    def parents(self) -> set[str]:
        """Images some cached step was built on (Docker's "intermediate" images)."""
        return {str(r[0]) for r in self.db.query("SELECT DISTINCT parent_id FROM build_cache")}

    def rows(self) -> list[tuple[str, str, str]]:
        return [
            (str(r[0]), str(r[1]), str(r[2]))
            for r in self.db.query("SELECT key, image_id, parent_id FROM build_cache")
        ]
