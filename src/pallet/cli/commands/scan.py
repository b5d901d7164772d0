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

from pallet.cli.commands.scan_db import daemon_status, db_error, local_db_path
from pallet.cli.flagerrors import UsageError
from pallet.cli.flags import Group, argument, command, option
from pallet.cli.session import api
from pallet.errors import InvalidArgument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from pallet.scancore.model import Inventory, Report

DEFAULT_SEVERITY = "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL"


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

    age = timedelta(seconds=max_age) if max_age is not None else None
    try:
        status = None if (input_ or local) else daemon_status(db)
        if status is not None:
            check_fresh(status, age)
            try:
                return remote.scan(api(), image, max_age, bar)
            except Unavailable as err:  # palletd's MissingDB (503): the database went away
                if isinstance(err, ConnectionFailed):
                    raise
                raise db_error(err) from None
        inv = _local_inventory(image, input_, bar)
        return scan(inv, local_db_path(db), age)
    except MissingDB as err:
        raise db_error(err) from None
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


C = "pallet.cli.commands.scan"
class ScanGroup(Group):
    """``pallet scan IMAGE`` scans; ``pallet scan db|sbom ...`` are subcommands."""

    def invoke(self, argv: list[str], path: str) -> Any:
        if argv and argv[0] in self.table:
            return super().invoke(argv, path)
        return scan_image.invoke(argv, path)


scan = ScanGroup("scan", "Scan an image for vulnerabilities", {
    "db": (C + "_db", "DB", "Manage the vulnerability database"),
    "sbom": (C, "sbom", "List an image's packages (SBOM)"),
})
