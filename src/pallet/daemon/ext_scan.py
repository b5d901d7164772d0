"""Scan extension: ``pallet scan`` run inside palletd (``server.routes_scan``).

Layers are read straight from the content store (seeking over file contents in
plain blobs) through the shared scanning core, with palletd's own layer cache
and database under its state root (``<root>/scan/``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec

from pallet.daemon.parts import Part, PartContext
from pallet.images.service import ImageService
from pallet.scancore.cache import LayerCache
from pallet.scancore.inventory import build, layer_infos
from pallet.scancore.layers import layer_files
from pallet.scancore.model import DBStatus, Inventory, LayerFiles, SourceStatus
from pallet.scancore.osvdb import OSVDatabase, db_path, import_path
from pallet.scancore.scanner import check_fresh, scan
from pallet.server.routes_scan import make_routes

_DONE = object()


class ScanService:
    """The ``ScanBackend`` of ``server.routes_scan``."""

    def __init__(self, images: ImageService, state_root: Path) -> None:
        self.images = images
        self.db = db_path(state_root)
        self.cache = LayerCache(state_root / "scan" / "cache")
        self.spool_dir = state_root / "tmp"
        self._importing = asyncio.Lock()

    async def db_import(self, archive: Path, name: str, origin: str) -> SourceStatus:
        async with self._importing:  # one import at a time: each starts from the last
            return await asyncio.to_thread(import_path, self.db, archive, None, name,
                                           origin or f"upload:{name}")

    def db_status(self) -> DBStatus:
        if not self.db.exists():
            return DBStatus(str(self.db), [], 0, "", "")
        db = OSVDatabase(self.db)
        try:
            return db.status()
        finally:
            db.close()

    async def scan(self, name: str, sbom_only: bool, max_age_s: int | None
                   ) -> AsyncIterator[dict[str, Any]]:
        img = self.images.resolve(name)  # NotFound before the stream starts
        max_age = timedelta(seconds=max_age_s) if max_age_s is not None else None
        if not sbom_only:
            check_fresh(self.db_status(), max_age)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        total = len(img.layers)

        def work() -> Inventory:
            found: list[LayerFiles] = []
            try:
                known = self.cache.get_inventory(img.id, name)
                if known is not None:
                    return known
                for i, layer in enumerate(img.layers):
                    with self.images.content.open(layer.digest) as f:
                        found.append(layer_files(f, layer.digest, self.cache, layer.diff_id))
                    loop.call_soon_threadsafe(queue.put_nowait, {
                        "status": "Read layer", "id": layer.diff_id.removeprefix("sha256:")[:12],
                        "progressDetail": {"current": i + 1, "total": total}})
                inv = build(name, img.id, layer_infos(img.config), found)
                self.cache.put_inventory(inv)
                return inv
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, _DONE)

        yield {"status": f"Scanning {name}", "progressDetail": {"current": 0, "total": total}}
        task = asyncio.ensure_future(asyncio.to_thread(work))
        try:
            while (msg := await queue.get()) is not _DONE:
                yield msg
            inventory = await task
            if sbom_only:
                yield {"aux": {"inventory": msgspec.to_builtins(inventory)}}
                return
            report = await asyncio.to_thread(scan, inventory, self.db, max_age)
            yield {"aux": msgspec.to_builtins(report)}
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task


def install(ctx: PartContext) -> Part:
    return Part("scan", routes=make_routes(ScanService(ctx.images, ctx.paths.root)))
