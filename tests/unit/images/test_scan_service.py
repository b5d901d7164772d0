"""palletd's scan (``ext_scan.ScanService``) over a real image store: layers read in
place from the content store, progress then the report, the same answer as the
client side's ``docker save`` path."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import msgspec
import pytest

from pallet.daemon.ext_scan import ScanService
from pallet.errors import InvalidArgument, NotFound
from pallet.images.service import ImageService
from pallet.scancore.archive import read_saved
from pallet.scancore.inventory import build, layer_infos
from pallet.scancore.model import Report
from pallet.scancore.osvdb import MissingDB, db_path, import_path
from pallet.testing import scan_images as si


def _collect(service: ScanService, name: str, sbom: bool = False) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        return [m async for m in service.scan(name, sbom, None)]

    return asyncio.run(run())


def test_daemon_scan_matches_the_save_path(svc: ImageService, tmp_path: Path) -> None:
    layers = [si.layer_tar({"etc/os-release": si.DEBIAN_OS_RELEASE,
                         "var/lib/dpkg/status": si.dpkg_stanza("openssl", "3.0.9-1").encode()}),
              si.layer_tar({"app/node_modules/lodash/package.json":
                         b'{"name":"lodash","version":"4.17.20"}'})]
    archive = si.save_archive(layers, ["ADD rootfs", "RUN npm i lodash"], tag="scanme:1")
    (tmp_path / "img.tar").write_bytes(archive)
    svc.load(tmp_path / "img.tar")
    service = ScanService(svc, svc.paths.root)
    with pytest.raises(MissingDB):
        _collect(service, "scanme:1")
    import_path(db_path(svc.paths.root), _zip(tmp_path))
    msgs = _collect(service, "scanme:1")
    progress = [m["progressDetail"] for m in msgs if "progressDetail" in m]
    assert progress[-1] == {"current": 2, "total": 2}
    report = msgspec.convert(msgs[-1]["aux"], Report)
    assert [(f.id, f.package, f.fixed) for f in report.findings] == [
        ("GHSA-1", "lodash", "4.17.21"), ("DSA-1", "openssl", "3.0.11-1")]
    saved = read_saved(io.BytesIO(archive), None)
    expect = build("scanme:1", saved.image_id, layer_infos(saved.config), saved.layers)
    assert report.inventory == expect
    sbom = _collect(service, "scanme:1", sbom=True)[-1]["aux"]
    assert len(sbom["inventory"]["packages"]) == 2
    assert service.cache.get_inventory(report.inventory.image_id, "again") is not None
    with pytest.raises(NotFound):
        _collect(service, "nosuch:image")


def _zip(tmp_path: Path) -> Path:
    path = tmp_path / "all.zip"
    path.write_bytes(si.osv_zip([si.osv_record("DSA-1", "Debian:12", "openssl", "3.0.11-1",
                                         severity="HIGH"),
                              si.osv_record("GHSA-1", "npm", "lodash", "4.17.21",
                                         severity="HIGH")]))
    return path


def test_imports_sent_to_palletd_land_one_after_another(svc: ImageService,
                                                        tmp_path: Path) -> None:
    service = ScanService(svc, svc.paths.root)
    zips = []
    for n in range(3):
        path = tmp_path / f"s{n}.zip"
        path.write_bytes(si.osv_zip([si.osv_record(f"X-{n}", "npm", f"p{n}", "1.0.0")]))
        zips.append(path)

    async def run() -> None:
        await asyncio.gather(*(service.db_import(p, f"src{n}", "") for n, p in enumerate(zips)))

    asyncio.run(run())
    status = service.db_status()
    assert [(s.name, s.records, s.origin) for s in status.sources] == [
        ("src0", 1, "upload:src0"), ("src1", 1, "upload:src1"), ("src2", 1, "upload:src2")]
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK not really")
    with pytest.raises(InvalidArgument):
        asyncio.run(service.db_import(broken, "src0", ""))
    assert service.db_status().sources == status.sources
