"""``pallet scan``: image SBOMs and offline vulnerability scans (trivy's flags and
exit codes), and ``pallet scan db import|status`` for the OSV database.

``pallet scan IMAGE`` runs in palletd when the daemon offers it (its layers are
read in place, with its database under its state root); against a daemon that
does not (dockerd), or with ``--local``, the image is read through
``docker save`` here. ``--input FILE`` scans a ``docker save`` archive.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pallet.cli.errors import StatusError
from pallet.cli.flagerrors import UsageError
from pallet.cli.flags import Group, argument, command, option
from pallet.cli.session import api
from pallet.cli.util import echo
from pallet.errors import InvalidArgument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from pallet.scancore.model import DBStatus, Inventory, Report, SourceStatus

DEFAULT_SEVERITY = "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL"


def _explicit_db(flag: str) -> Path | None:
    """The database file named by ``--db`` or ``$PALLET_SCAN_DB``: scans and imports then
    stay on this side and never ask the daemon."""
    import os

    chosen = flag or os.environ.get("PALLET_SCAN_DB", "")
    return Path(chosen) if chosen else None


def _db_path(flag: str) -> Path:
    """The database this side reads: the explicit one, else palletd's under its state."""
    chosen = _explicit_db(flag)
    if chosen is not None:
        return chosen
    from pallet.scancore.osvdb import db_path
    from pallet.system.paths import Paths

    return db_path(Paths.from_env().root)


def _daemon_status(flag: str) -> DBStatus | None:
    """palletd's database status, when palletd scans and no local database was named."""
    if _explicit_db(flag) is not None:
        return None
    from pallet.scan import remote

    return remote.db_status(api())


def _max_age_s(text: str) -> int | None:
    """``--max-db-age``: ``7d``, ``36h``, ``90m`` (Go durations plus days)."""
    if not text:
        return None
    from pallet.notation.durations import parse_duration

    try:
        if text.endswith("d") and text[:-1].isdigit():
            return int(text[:-1]) * 86400
        return parse_duration(text) // 1_000_000_000
    except (InvalidArgument, ValueError) as err:
        raise UsageError(f'invalid argument "{text}" for "--max-db-age" flag: {err}') from None


class Bar:
    """A one-line progress bar on a terminal's stderr (nothing when not a terminal)."""

    def __init__(self, quiet: bool) -> None:
        self.on = not quiet and sys.stderr.isatty()
        self.drawn = False

    def __call__(self, done: int, total: int, what: str) -> None:
        if not self.on or total <= 0:
            return
        width = 30
        fill = width * done // total
        sys.stderr.write(f"\rScanning [{'=' * fill}{' ' * (width - fill)}] {done}/{total} "
                         f"layers {what[:24]:<24}")
        sys.stderr.flush()
        self.drawn = True

    def clear(self) -> None:
        if self.drawn:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _write(text: str, output: str) -> None:
    if output:
        Path(output).write_text(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _fail_db(err: Exception) -> StatusError:
    from pallet.scan.policy import EXIT_DB

    return StatusError(EXIT_DB, f"pallet scan: {err}")


def _local_inventory(image: str, input_: str, bar: Bar) -> Inventory:
    from pallet.scan import source
    from pallet.scancore.cache import LayerCache, default_root

    cache = LayerCache(default_root())
    if input_:
        return source.from_file(Path(input_), cache, bar)
    return source.from_engine(api(), image, cache, bar)


def _report(image: str, input_: str, db: str, local: bool, max_age: int | None,
            bar: Bar) -> Report:
    from datetime import timedelta

    from pallet.client.http import ConnectionFailed
    from pallet.errors import Unavailable
    from pallet.scan import remote
    from pallet.scancore.osvdb import MissingDB
    from pallet.scancore.scanner import check_fresh, scan

    try:
        status = None if (input_ or local) else _daemon_status(db)
        if status is not None:
            check_fresh(status, timedelta(seconds=max_age) if max_age is not None else None)
            try:
                return remote.scan(api(), image, max_age, bar)
            except Unavailable as err:  # palletd's MissingDB (503): the database went away
                if isinstance(err, ConnectionFailed):
                    raise
                raise _fail_db(err) from None
        inv = _local_inventory(image, input_, bar)
        return scan(inv, _db_path(db), timedelta(seconds=max_age) if max_age is not None else None)
    except MissingDB as err:
        raise _fail_db(err) from None
    finally:
        bar.clear()


@command("scan")
@option("--input", "input_", default="", help="Scan a 'docker save' archive instead of IMAGE")
@option("-s", "--severity", default=DEFAULT_SEVERITY, help="Severities to report (comma list)")
@option("--exit-code", type=int, default=0, help="Exit code when findings remain")
@option("--ignore-unfixed", is_flag=True, help="Report only findings with a fixed version")
@option("--ignorefile", default=".trivyignore", help="File of IDs to ignore")
@option("-f", "--format", "fmt", default="table",
        help="table, json (trivy's shape), sarif or cyclonedx")
@option("-o", "--output", default="", help="Write the report to a file")
@option("--max-db-age", default="", help="Fail when the database is older (e.g. 7d, 72h)")
@option("--db", default="", help="Database file for a scan on this side")
@option("--local", is_flag=True, help="Read the image here (docker save), not in palletd")
@option("-q", "--quiet", is_flag=True, help="No progress bar")
@option("--no-progress", is_flag=True, help="No progress bar (trivy's spelling)")
@option("--skip-db-update", "--offline-scan", "offline", is_flag=True, hidden=True,
        help="Accepted for trivy's CI lines: pallet never downloads anything")
@argument("image", required=False)
def scan_image(input_: str, severity: str, exit_code: int, ignore_unfixed: bool,
               ignorefile: str, fmt: str, output: str, max_db_age: str, db: str, local: bool,
               quiet: bool, no_progress: bool, offline: bool, image: str | None) -> int:
    """Scan an image for known vulnerabilities (also: pallet scan db, pallet scan sbom).

    Exits with --exit-code when a finding of the chosen severities remains, 0
    otherwise, and 3 when the vulnerability database is missing or older than
    --max-db-age.
    """
    from pallet.scan.formats import SCAN_FORMATS
    from pallet.scan.policy import Policy, parse_severities, read_ignorefile
    from pallet.scan.policy import exit_code as code_for
    from pallet.scancore.severity import LEVELS

    if not image and not input_:
        raise UsageError('"pallet scan" requires an IMAGE or --input FILE', 1)
    if fmt not in SCAN_FORMATS:
        raise UsageError(f"unknown --format {fmt!r}: use one of {', '.join(SCAN_FORMATS)}", 1)
    try:
        severities = parse_severities(severity)
    except InvalidArgument as err:
        raise UsageError(str(err), 1) from None
    ignored = read_ignorefile(Path(ignorefile), required=ignorefile != ".trivyignore")
    policy = Policy(severities, ignore_unfixed, ignored)
    report = _report(image or "", input_, db, local, _max_age_s(max_db_age),
                     Bar(quiet or no_progress))
    findings = policy.apply(report.findings)
    _write(_render_scan(fmt, report, findings, [s for s in LEVELS if s in severities]), output)
    return code_for(findings, exit_code)


def _render_scan(fmt: str, report: Report, findings: Any, severities: list[str]) -> str:
    inv = report.inventory
    if fmt == "json":
        from pallet.scan.formats import trivy_json

        return trivy_json.render(inv, findings)
    if fmt == "sarif":
        from pallet.scan.formats import sarif_out

        return sarif_out.render(inv, findings)
    if fmt == "cyclonedx":
        from pallet.scan.formats import cyclonedx_out

        return cyclonedx_out.render(inv, findings)
    from pallet.scan.formats.table import render_findings

    return render_findings(inv, findings, severities)


@command()
@option("--input", "input_", default="", help="Read a 'docker save' archive instead of IMAGE")
@option("-f", "--format", "fmt", default="table", help="table, json, cyclonedx or spdx")
@option("-o", "--output", default="", help="Write the SBOM to a file")
@option("--local", is_flag=True, help="Read the image here (docker save), not in palletd")
@option("-q", "--quiet", is_flag=True, help="No progress bar")
@argument("image", required=False)
def sbom(input_: str, fmt: str, output: str, local: bool, quiet: bool,
         image: str | None) -> None:
    """List an image's packages (SBOM) from its layers, without running it."""
    from pallet.scan import remote
    from pallet.scan.formats import SBOM_FORMATS

    if not image and not input_:
        raise UsageError('"pallet scan sbom" requires an IMAGE or --input FILE', 1)
    if fmt not in SBOM_FORMATS:
        raise UsageError(f"unknown --format {fmt!r}: use one of {', '.join(SBOM_FORMATS)}", 1)
    bar = Bar(quiet)
    try:
        if not input_ and not local and remote.db_status(api()) is not None:
            inv = remote.inventory(api(), image or "", bar)
        else:
            inv = _local_inventory(image or "", input_, bar)
    finally:
        bar.clear()
    _write(_render_sbom(fmt, inv), output)


def _render_sbom(fmt: str, inv: Inventory) -> str:
    if fmt == "json":
        import msgspec

        return msgspec.json.format(msgspec.json.encode(inv), indent=2).decode() + "\n"
    if fmt == "cyclonedx":
        from pallet.scan.formats import cyclonedx_out

        return cyclonedx_out.render(inv)
    if fmt == "spdx":
        from pallet.scan.formats import spdx_out

        return spdx_out.render(inv)
    from pallet.scan.formats.table import render_inventory

    return render_inventory(inv)


@command("import")
@option("--db", default="", help="Database file (default: palletd's, under its state root)")
@argument("sources", nargs=-1, required=True, metavar="FILE.zip|DIR...")
def db_import(db: str, sources: tuple[str, ...]) -> None:
    """Import OSV records (an OSV ecosystem zip, or a directory of JSON records).

    Against palletd the records are sent to it and land under its state root;
    with --db (or $PALLET_SCAN_DB) they go into that file here.
    """
    from pallet.scancore.osvdb import import_path

    to_daemon = _daemon_status(db) is not None
    path = _db_path(db)
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

    status = _daemon_status(db)
    try:
        if status is None:
            database = OSVDatabase(_db_path(db))
            try:
                status = database.status()
            finally:
                database.close()
        check_fresh(status, None)
    except MissingDB as err:
        raise _fail_db(err) from None
    if fmt == "json":
        echo(msgspec.json.format(msgspec.json.encode(status), indent=2).decode())
        return
    echo(f"Database: {status.path}\nRecords:  {status.records}\n"
         f"Imported: {status.imported_at}\nNewest record: {status.modified or '-'}\n")
    width = max([len(s.name) for s in status.sources] + [6])
    echo(f"{'SOURCE':<{width}}   RECORDS   IMPORTED               FROM")
    for s in status.sources:
        echo(f"{s.name:<{width}}   {s.records:<7}   {s.imported_at:<20}   {s.origin}")


C = "pallet.cli.commands.scan"
DB = Group("db", "Manage the vulnerability database", {
    "import": (C, "db_import", "Import OSV records (zip or directory)"),
    "status": (C, "db_status", "Show the database's sources and age"),
})


class ScanGroup(Group):
    """``pallet scan IMAGE`` scans; ``pallet scan db|sbom ...`` are subcommands."""

    def invoke(self, argv: list[str], path: str) -> Any:
        if argv and argv[0] in self.table:
            return super().invoke(argv, path)
        return scan_image.invoke(argv, path)


scan = ScanGroup("scan", "Scan an image for vulnerabilities", {
    "db": (C, "DB", "Manage the vulnerability database"),
    "sbom": (C, "sbom", "List an image's packages (SBOM)"),
})
