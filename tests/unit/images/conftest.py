from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pallet.images.service import ImageService
from pallet.snapshots.naive import NaiveSnapshotter
from pallet.system.db import Database
from pallet.system.paths import Paths


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[ImageService]:
    paths = Paths(root=tmp_path / "root", run=tmp_path / "run")
    db = Database(paths.db)
    yield ImageService(db, paths, snapshotter=NaiveSnapshotter(paths.snapshots))
    db.close()
