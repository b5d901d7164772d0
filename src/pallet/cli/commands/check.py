"""``pallet check IMAGE|CONTAINER`` and ``pallet check --compose PROJECT``: the guide's
Production Readiness Checklist against the real thing.

Each item is graded pass, warn or fail with the command that fixes it (``pallet.lint.
checklist``), from the inspect documents ``pallet.client`` fetches, so it works against
dockerd as well as palletd. A name that is a container is checked as one, else as an
image (with ``image.vulnerabilities`` when the daemon's ``pallet scan`` database holds
records: HIGH or CRITICAL findings fail); ``--compose`` checks every container of a Compose
project (by its ``com.docker.compose.project`` label). Exit 1 when any item fails.
"""

from __future__ import annotations

import sys

from pallet.cli.errors import StatusError
from pallet.cli.flagerrors import UsageError
from pallet.cli.flags import argument, command, option
from pallet.cli.session import api

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pallet.lint.checklist import CheckReport, Item


@command()
@option("--compose", "project", default="", help="Check every container of a Compose project")
@option("--format", "fmt", default="text", help="Output format: text, json")
@argument("target", required=False, metavar="IMAGE|CONTAINER")
def check(project: str, fmt: str, target: str | None) -> int:
    """Grade an image, a container or a Compose project against the production checklist."""
    import msgspec

    from pallet.lint.checklist import render_text

    if fmt not in ("text", "json"):
        raise UsageError(f"invalid --format {fmt!r}: one of text, json")
    if bool(project) == bool(target):
        raise UsageError('"pallet check" requires exactly one of IMAGE|CONTAINER or '
                         "--compose PROJECT", 1)
    reports = _project(project) if project else [_one(target or "")]
    failed = any(r.failed for r in reports)
    if fmt == "json":
        sys.stdout.buffer.write(msgspec.json.encode({"reports": reports, "failed": failed})
                                + b"\n")
        sys.stdout.flush()
    else:
        sys.stdout.write(render_text(reports))
    return 1 if failed else 0


def _one(target: str) -> CheckReport:
    from pallet.errors import NotFound
    from pallet.lint.checklist import check_container, check_image

    client = api()
    try:
        return check_container(client.containers.inspect(target))
    except NotFound:
        pass
    try:
        report = check_image(client.images.inspect(target), target)
    except NotFound:
        raise StatusError(1, f"Error: No such container or image: {target}") from None
    scanned = _scan_item(target)
    if scanned is not None:
        report.items.append(scanned)
        report.failed = report.failed or scanned.status == "fail"
    return report


def _scan_item(image: str) -> Item | None:
    """HIGH/CRITICAL vulnerabilities, when palletd's scan database has records."""
    from pallet.lint.checklist import Item
    from pallet.scan import remote

    status = remote.db_status(api())
    if status is None or not status.records:
        return None
    findings = remote.scan(api(), image, None).findings
    high = sorted({f.id for f in findings if f.severity in ("CRITICAL", "HIGH")})
    fixable = {f.id for f in findings if f.severity in ("CRITICAL", "HIGH") and f.fixed}
    if not high:
        return Item("image.vulnerabilities", "pass", "no HIGH/CRITICAL vulnerabilities",
                    f"{len(findings)} lower findings")
    return Item("image.vulnerabilities", "fail", "no HIGH/CRITICAL vulnerabilities",
                f"{len(high)} HIGH/CRITICAL ({len(fixable)} fixable): {', '.join(high[:5])}",
                f"pallet scan --severity HIGH,CRITICAL {image}; rebuild on a patched base")


def _project(project: str) -> list[CheckReport]:
    from pallet.lint.checklist import check_container

    client = api()
    found = client.containers.list(
        all=True, filters={"label": [f"com.docker.compose.project={project}"]})
    if not found:
        raise StatusError(1, f"no containers of Compose project {project!r}")
    reports = []
    for summary in sorted(found, key=lambda s: s.get("Names", [""])[0]):
        report = check_container(client.containers.inspect(summary["Id"]))
        service = (summary.get("Labels") or {}).get("com.docker.compose.service", "")
        if service:
            report.target = f"{report.target} (service {service})"
        reports.append(report)
    return reports
