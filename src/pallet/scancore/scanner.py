"""The scan itself: an inventory checked against the OSV database, with the
database's freshness enforced first (a missing or stale database is an error,
never "0 findings")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pallet.scancore.match import match
from pallet.scancore.model import DBStatus, Inventory, Report
from pallet.scancore.osvdb import MissingDB, OSVDatabase


def _parse(stamp: str) -> datetime | None:
    try:
        t = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def check_fresh(status: DBStatus, max_age: timedelta | None, now: datetime | None = None) -> None:
    """Raise :class:`MissingDB` when the database is empty or its data older than ``max_age``.

    The data's age is its newest record's ``modified`` time (the import time when
    records carry none): importing an old file today does not make it fresh.
    """
    if not status.sources:
        raise MissingDB(f"no vulnerability database at {status.path}: import one with "
                        "'pallet scan db import FILE.zip|DIR' (OSV zips, e.g. Debian.zip)")
    if max_age is None:
        return
    stamp = _parse(status.modified) or _parse(status.imported_at)
    if stamp is None:
        return
    age = (now or datetime.now(UTC)) - stamp
    if age > max_age:
        raise MissingDB(f"the vulnerability database is stale: its newest record is from "
                        f"{stamp:%Y-%m-%d} ({age.days} days old), older than --max-db-age "
                        f"allows; import a newer one with 'pallet scan db import'")


def scan(inventory: Inventory, db_path: Path, max_age: timedelta | None = None) -> Report:
    """Findings for ``inventory`` from the database at ``db_path``."""
    db = OSVDatabase(db_path)
    try:
        status = db.status()
        check_fresh(status, max_age)
        return Report(inventory, match(inventory, db), status)
    finally:
        db.close()
