"""The SQLite state database (``pallet.db``).

One file, WAL mode, one connection shared by the daemon's stores behind a lock.
Each store declares its own tables through :func:`migrate`, so a module owns its
schema. Writes go through :meth:`Database.tx`, a transaction that commits on a
clean exit and rolls back on an exception. Deleted records do not leave the file big:
pages are vacuumed incrementally after a commit that freed many, and the WAL is cut back.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pallet.system.private import private_file

INCREMENTAL = 2  # PRAGMA auto_vacuum
RECLAIM_PAGES = 256  # 1 MiB of 4 KiB pages
WAL_LIMIT = 4 * 1024 * 1024  # bytes a checkpointed WAL is cut back to


class Database:
    def __init__(self, path: Path | str) -> None:
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            private_file(path)  # SQLite gives -wal and -shm the database's mode
        self._conn = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=30
        )
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            if self._conn.execute("PRAGMA auto_vacuum").fetchone()[0] != INCREMENTAL:
                # freed pages go back to the file system (set once; an older store is
                # rewritten once by the VACUUM)
                self._conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
                self._conn.execute("VACUUM")
            self._conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY,"
                " version INTEGER NOT NULL)"
            )

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``); nested calls join the outer one."""
        with self._lock:
            if self._conn.in_transaction:
                yield self._conn
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            self._reclaim()

    def _reclaim(self) -> None:
        """After a commit that freed many pages (a big record deleted), give them back and
        checkpoint, so the file (and its WAL) shrink now rather than never."""
        free = self._conn.execute("PRAGMA freelist_count").fetchone()[0]
        if free >= RECLAIM_PAGES:
            self._conn.executescript("PRAGMA incremental_vacuum;")  # steps until done
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    @property
    def generation(self) -> int:
        """Changes since the database was opened (any table): a value read from the
        database while this number stands is still current, so readers may cache it."""
        with self._lock:
            return self._conn.total_changes

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, params))

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self.tx() as conn:
            conn.execute(sql, params)

    def migrate(self, component: str, steps: Sequence[str]) -> None:
        """Apply the schema steps of ``component`` not yet applied (each one SQL script)."""
        with self.tx() as conn:
            row = conn.execute(
                "SELECT version FROM schema_versions WHERE component=?", (component,)
            ).fetchone()
            done = int(row[0]) if row else 0
            for step in steps[done:]:
                for stmt in step.split(";"):
                    if stmt.strip():
                        conn.execute(stmt)
            conn.execute(
                "INSERT INTO schema_versions(component, version) VALUES(?, ?)"
                " ON CONFLICT(component) DO UPDATE SET version=excluded.version",
                (component, len(steps)),
            )

    def close(self) -> None:
        with self._lock:
            self._conn.close()
