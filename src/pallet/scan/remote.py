"""The scan run by palletd: ``GET /pallet/scan/db`` and ``POST
/pallet/images/{name}/scan`` (JSON-lines progress, then the report).

A daemon without these routes (dockerd) answers 404 to the status request;
:func:`db_status` returns None then and the CLI scans on its own side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from pallet.client import Client
from pallet.client.streams import progress_messages
from pallet.errors import NotFound, PalletError
from pallet.scancore.model import DBStatus, Inventory, Report

Progress = Callable[[int, int, str], None]


def db_status(api: Client) -> DBStatus | None:
    """The daemon's database status; None when the daemon cannot scan."""
    try:
        doc = api.pallet.scan_db()
    except NotFound:
        return None
    return msgspec.convert(doc, DBStatus)


def _run(api: Client, name: str, max_db_age: int | None, sbom: bool,
         progress: Progress | None) -> dict[str, Any]:
    resp = api.pallet.scan(name, max_db_age=max_db_age, sbom=sbom)
    aux: dict[str, Any] | None = None
    for msg in progress_messages(resp.chunks()):
        if isinstance(msg.get("aux"), dict):
            aux = msg["aux"]
            continue
        done = msg.get("progressDetail") or {}
        if progress is not None and done.get("total"):
            progress(int(done.get("current", 0)), int(done["total"]), str(msg.get("id", "")))
    if aux is None:
        raise PalletError("the scan ended without a report (palletd stopped?)")
    return aux


def scan(api: Client, name: str, max_age_s: int | None,
         progress: Progress | None = None) -> Report:
    return msgspec.convert(_run(api, name, max_age_s, False, progress), Report)


def inventory(api: Client, name: str, progress: Progress | None = None) -> Inventory:
    aux = _run(api, name, None, True, progress)
    return msgspec.convert(aux.get("inventory"), Inventory)
