"""Apply a layer blob into a new committed snapshot named by its chain ID.

Identical layers on identical parents have the same chain ID, so a second image
sharing them reuses the snapshot instead of extracting again.
"""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path
from typing import BinaryIO

from pallet.errors import Conflict, DataCorruption
from pallet.oci.digest import chain_id
from pallet.oci.layertar import ApplyResult
from pallet.oci.layertar import apply_layer as apply_tar
from pallet.snapshots.base import Snapshotter


def apply_layer(
    snapshotter: Snapshotter, parent: str | None, blob_path: Path, diff_id: str | None = None
) -> str:
    """Apply ``blob_path`` on top of snapshot ``parent``; returns the new chain ID."""
    return apply_layer_result(snapshotter, parent, blob_path, diff_id)[0]


AppliedLayer = tuple[str, ApplyResult | None, bool]


def apply_layer_result(
    snapshotter: Snapshotter, parent: str | None, blob_path: Path | BinaryIO,
    diff_id: str | None = None
) -> AppliedLayer:
    """Like :func:`apply_layer`; also gives the apply result (None when the snapshot was
    reused without reading the blob) and whether this call created the snapshot.

    With ``diff_id`` known, an existing snapshot is reused without reading the blob,
    and a blob whose content does not hash to ``diff_id`` raises DataCorruption.
    """
    if diff_id is not None:
        cid = chain_id(parent, diff_id)
        if snapshotter.exists(cid):
            return cid, None, False
    key = f"extract-{secrets.token_hex(8)}"
    snapshotter.prepare(key, parent)
    try:
        target, mode = snapshotter.writable_dir(key)
        result = apply_tar(blob_path, target, whiteouts=mode)
        if diff_id is not None and result.diff_id != diff_id:
            raise DataCorruption(
                f"layer content does not match its diff_id: got {result.diff_id},"
                f" expected {diff_id}"
            )
        cid = chain_id(parent, result.diff_id)
        if snapshotter.exists(cid):
            snapshotter.remove(key)
            return cid, result, False
        try:
            snapshotter.commit(cid, key)
        except Conflict:  # another thread committed the same layer meanwhile
            snapshotter.remove(key)
            return cid, result, False
        return cid, result, True
    except BaseException:
        with contextlib.suppress(Exception):
            if snapshotter.exists(key):
                snapshotter.remove(key)
        raise
