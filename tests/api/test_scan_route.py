"""``GET/POST /pallet/scan/db`` and ``POST /pallet/images/{name}/scan`` over palletd's
real ScanService and an image store on a temporary root: upload, statuses, errors
before the stream, JSON-lines progress then the report."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from pallet.daemon.ext_scan import ScanService
from pallet.images.service import ImageService
from pallet.server.app import core_routers, make_app
from pallet.server.routes_scan import make_routes
from pallet.snapshots.naive import NaiveSnapshotter
from pallet.system.db import Database
from pallet.system.paths import Paths
from pallet.testing import scan_images as si
from pallet.testing.fake_backend import FakeBackend

Client = TestClient[Any, Any]


def run(tmp_path: Path, fn: Callable[[Client, ImageService], Awaitable[None]]) -> None:
    paths = Paths(root=tmp_path / "root", run=tmp_path / "run")
    db = Database(paths.db)
    images = ImageService(db, paths, snapshotter=NaiveSnapshotter(paths.snapshots))

    async def main() -> None:
        app = make_app([*core_routers(FakeBackend(spool=tmp_path / "spool")),
                        make_routes(ScanService(images, paths.root))])
        async with TestServer(app) as server, TestClient(server) as client:
            await fn(client, images)

    try:
        asyncio.run(main())
    finally:
        db.close()


def test_db_upload_status_and_scan_stream(tmp_path: Path) -> None:
    layer = si.layer_tar({"etc/os-release": si.DEBIAN_OS_RELEASE,
                          "var/lib/dpkg/status": si.dpkg_stanza("openssl", "3.0.9-1").encode()})
    (tmp_path / "img.tar").write_bytes(si.save_archive([layer], ["ADD rootfs"], tag="app:1"))
    records = si.osv_zip([si.osv_record("DSA-1", "Debian:12", "openssl", "3.0.11-1",
                                        severity="CRITICAL")])

    async def t(c: Client, images: ImageService) -> None:
        images.load(tmp_path / "img.tar")
        r = await c.get("/pallet/scan/db")
        assert r.status == 200 and (await r.json())["sources"] == []
        r = await c.post("/pallet/images/app:1/scan")
        assert r.status == 503 and "pallet scan db import" in (await r.json())["message"]
        r = await c.post("/pallet/scan/db?name=../x", data=records)
        assert r.status == 400
        r = await c.post("/pallet/scan/db?name=ok&origin=" + "o" * 5000, data=records)
        assert r.status == 400
        r = await c.post("/pallet/scan/db?name=Debian&origin=Debian.zip", data=records)
        assert r.status == 200, await r.text()
        assert (await r.json())["records"] == 1
        status = await (await c.get("/pallet/scan/db")).json()
        assert [(s["name"], s["origin"]) for s in status["sources"]] == [("Debian",
                                                                          "Debian.zip")]
        assert (await c.post("/pallet/images/nosuch/scan")).status == 404
        assert (await c.post("/pallet/images/app:1/scan?max_db_age=soon")).status == 400
        r = await c.post("/v1.44/pallet/images/app:1/scan")
        assert r.status == 200
        lines = [json.loads(x) for x in (await r.text()).splitlines() if x.strip()]
        assert lines[0]["progressDetail"] == {"current": 0, "total": 1}
        report = lines[-1]["aux"]
        assert [(f["id"], f["installed"], f["fixed"]) for f in report["findings"]] == [
            ("DSA-1", "3.0.9-1", "3.0.11-1")]
        r = await c.post("/pallet/images/app:1/scan?max_db_age=60")
        assert r.status == 503 and "stale" in (await r.json())["message"]

    run(tmp_path, t)
