"""Deleting big records gives the space back at once: no 200 MB pallet.db for zero
containers (incremental vacuum after the commit, WAL truncated)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pallet.system.db import Database


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def test_big_delete_leaves_a_small_file(tmp_path: Path) -> None:
    path = tmp_path / "pallet.db"
    db = Database(path)
    db.migrate("t", ["CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)"])
    for i in range(40):
        db.execute("INSERT INTO blobs(id, data) VALUES(?, ?)", (i, b"x" * 500_000))
    assert _size(path) > 20_000_000
    db.execute("DELETE FROM blobs")
    assert _size(path) < 2_000_000
    db.close()


def test_an_older_store_is_converted_once(tmp_path: Path) -> None:
    path = tmp_path / "pallet.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE keep (v TEXT)")
    conn.execute("INSERT INTO keep VALUES ('still here')")
    conn.commit()
    assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    conn.close()
    db = Database(path)
    assert db.one("PRAGMA auto_vacuum")[0] == 2  # type: ignore[index]
    assert db.one("SELECT v FROM keep")[0] == "still here"  # type: ignore[index]
    db.close()
