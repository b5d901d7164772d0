"""``pallet scan db import|status``: the OSV database a scan reads.

Against palletd the database lives under its state root and these commands go
through its API (``POST``/``GET /pallet/scan/db``), so they work without write
access to the state and against a remote daemon; ``--db FILE`` (or
``$PALLET_SCAN_DB``) names a database file on this side instead, and then no
daemon is asked at all.
"""

from __future__ import annotations

from pathlib import Path

from pallet.cli.errors import StatusError
from pallet.cli.flags import Group, argument, command, option
from pallet.cli.session import api
from pallet.cli.util import echo

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pallet.scancore.model import DBStatus, SourceStatus


def _explicit_db(flag: str) -> Path | None:
    """The database file named by ``--db`` or ``$PALLET_SCAN_DB``: scans and imports then
    stay on this side and never ask the daemon."""
    import os

    chosen = flag or os.environ.get("PALLET_SCAN_DB", "")
    return Path(chosen) if chosen else None


def local_db_path(flag: str) -> Path:
    """The database this side reads: the explicit one, else palletd's under its state."""
    chosen = _explicit_db(flag)
    if chosen is not None:
        return chosen
    from pallet.scancore.osvdb import db_path
    from pallet.system.paths import Paths

    return db_path(Paths.from_env().root)


def daemon_status(flag: str) -> DBStatus | None:
    """palletd's database status, when palletd scans and no local database was named."""
    if _explicit_db(flag) is not None:
        return None
    from pallet.scan import remote

    return remote.db_status(api())


def db_error(err: Exception) -> StatusError:
    from pallet.scan.policy import EXIT_DB

    return StatusError(EXIT_DB, f"pallet scan: {err}")


@command("import")
@option("--db", default="", help="Database file (default: palletd's, under its state root)")
@argument("sources", nargs=-1, required=True, metavar="FILE.zip|DIR...")
def db_import(db: str, sources: tuple[str, ...]) -> None:
    """Import OSV records (an OSV ecosystem zip, or a directory of JSON records).

    Against palletd the records are sent to it and land under its state root;
    with --db (or $PALLET_SCAN_DB) they go into that file here.
    """
    from pallet.scancore.osvdb import import_path

    to_daemon = daemon_status(db) is not None
    path = local_db_path(db)
    for src in sources:
        if to_daemon:
            st = _upload(Path(src))
            where = "palletd's database"
        else:
            st = import_path(path, Path(src))
            where = str(path)
        echo(f"Imported {st.records} records from {src} as source {st.name!r} into {where}")


def _upload(src: Path) -> SourceStatus:
    import msgspec

    from pallet.errors import NotFound
    from pallet.scancore.model import SourceStatus
    from pallet.scancore.osvdb import source_name, zip_directory

    if src.is_dir():
        import tempfile

        with tempfile.TemporaryFile() as packed:
            zip_directory(src, packed)
            packed.seek(0)
            doc = api().pallet.scan_db_import(packed, source_name(src), str(src.resolve()))
    else:
        try:
            f = open(src, "rb")  # noqa: SIM115 - closed by the with below
        except FileNotFoundError:
            raise NotFound(f"{src}: no such file or directory") from None
        with f:
            doc = api().pallet.scan_db_import(f, source_name(src), str(src.resolve()))
    return msgspec.convert(doc, SourceStatus)


@command("status")
@option("--db", default="", help="Database file (default: palletd's, under its state root)")
@option("-f", "--format", "fmt", default="table", help="table or json")
def db_status(db: str, fmt: str) -> None:
    """Show the database's sources, record counts and age."""
    import msgspec

    from pallet.scancore.osvdb import MissingDB, OSVDatabase
    from pallet.scancore.scanner import check_fresh

    status = daemon_status(db)
    try:
        if status is None:
            database = OSVDatabase(local_db_path(db))
            try:
                status = database.status()
            finally:
                database.close()
        check_fresh(status, None)
    except MissingDB as err:
        raise db_error(err) from None
    if fmt == "json":
        echo(msgspec.json.format(msgspec.json.encode(status), indent=2).decode())
        return
    echo(f"Database: {status.path}\nRecords:  {status.records}\n"
         f"Imported: {status.imported_at}\nNewest record: {status.modified or '-'}\n")
    width = max([len(s.name) for s in status.sources] + [6])
    echo(f"{'SOURCE':<{width}}   RECORDS   IMPORTED               FROM")
    for s in status.sources:
        echo(f"{s.name:<{width}}   {s.records:<7}   {s.imported_at:<20}   {s.origin}")


C = "pallet.cli.commands.scan_db"
DB = Group("db", "Manage the vulnerability database", {
    "import": (C, "db_import", "Import OSV records (zip or directory)"),
    "status": (C, "db_status", "Show the database's sources and age"),
})
