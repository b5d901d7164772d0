"""The outputs of ``pallet scan``: table, json, sarif, CycloneDX and SPDX.

Each ``render_*`` takes the typed inventory (and findings, for a scan) and returns
the text; the CycloneDX and SPDX documents are written by the field's own
libraries (``cyclonedx-python-lib``, ``spdx-tools``), imported only when asked.
"""

from __future__ import annotations

SCAN_FORMATS = ("table", "json", "sarif", "cyclonedx")
SBOM_FORMATS = ("table", "json", "cyclonedx", "spdx")
