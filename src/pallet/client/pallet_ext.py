"""``client.pallet``: pallet's own endpoints, outside the Engine API (``/pallet/...``).

``bootstrap`` builds a base image on the daemon's machine (busybox from the host's
busybox-static, debian with mmdebstrap), for a machine with no registry to pull from.
``scan_db``, ``scan_db_import`` and ``scan`` are ``pallet scan``'s daemon side: a
daemon without them (dockerd) answers 404 (NotFound). Their documents are
``pallet.scancore.model``'s, which ``pallet.scan`` decodes. ``lint`` and
``check_container`` are ``pallet lint``'s and ``pallet check``'s (``pallet.lint``'s
``LintRequest``, ``Report`` and ``CheckReport``).
"""

from __future__ import annotations

from pallet.client.resource import Resource, flag, path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

    from pallet.client.http import Response
    from pallet.lint.checklist import CheckReport
    from pallet.lint.model import LintRequest, Report


class PalletExtensions(Resource):
    """``/pallet/*``."""

    def bootstrap(self, name: str, tag: str | None = None) -> Response:
        """JSON-lines progress; the last line's ``aux`` names the image."""
        return self._call("POST", "/pallet/images/bootstrap", {"name": name, "tag": tag or None})

    def scan_db(self) -> dict[str, Any]:
        """The vulnerability database's status (``GET /pallet/scan/db``)."""
        doc: dict[str, Any] = self._json("GET", "/pallet/scan/db")
        return doc

    def scan_db_import(self, archive: IO[bytes], name: str, origin: str = "") -> dict[str, Any]:
        """Import an OSV zip into the daemon's database as source ``name``."""
        doc: dict[str, Any] = self._call(
            "POST", "/pallet/scan/db", {"name": name, "origin": origin or None}, body=archive,
            headers={"Content-Type": "application/zip"}, timeout=None).json()
        return doc

    def scan(self, image: str, *, max_db_age: int | None = None, sbom: bool = False) -> Response:
        """JSON-lines progress of scanning ``image``; the last ``aux`` is the report
        (with ``sbom``: ``{"inventory": ...}``)."""
        q = {"max_db_age": max_db_age, "sbom": flag(sbom)}
        return self._call("POST", path("/pallet/images/{}/scan", image), q)

    def lint(self, req: LintRequest) -> Report:
        """``POST /pallet/lint``: one Dockerfile linted by the daemon."""
        from pallet.lint.model import Report

        return self._typed(Report, "POST", "/pallet/lint", json_body=req)

    def check_container(self, ref: str) -> CheckReport:
        """``GET /pallet/containers/{ref}/check``: the container's readiness checklist."""
        from pallet.lint.checklist import CheckReport

        return self._typed(CheckReport, "GET", path("/pallet/containers/{}/check", ref))
