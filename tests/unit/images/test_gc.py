"""Mark-and-sweep of the image store over a plain-copy snapshotter, and its gate."""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

from pallet.images import gc
from pallet.images.gcgate import GcGate
from pallet.images.service import ImageService
from pallet.snapshots.apply import apply_layer

from .helpers import layer_tar


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _import(svc: ImageService, tmp: Path, name: str, files: dict[str, bytes]) -> str:
    p = tmp / f"{name}.tar.gz"
    p.write_bytes(gzip.compress(layer_tar(files)))
    return svc.import_tar(p, name, [], "")


def _leave_garbage(svc: ImageService, tmp: Path) -> None:
    """What a kill -9 leaves: an extract snapshot, an unreferenced chain, a blob, ingest."""
    svc.snapshotter.prepare("extract-0123456789abcdef", None)
    blob = tmp / "orphan.tar"
    blob.write_bytes(layer_tar({"orphan": b"x" * 5000}))
    apply_layer(svc.snapshotter, None, blob)
    svc.content.write_bytes(b"an orphan blob")
    svc.content.ingest_dir.mkdir(parents=True, exist_ok=True)
    (svc.content.ingest_dir / "ingest-partial").write_bytes(b"y" * 3000)
    (svc.snapshotter.dir_of("extract-0123456789abcdef").parent / "half-made").mkdir()


def test_sweep_keeps_images_and_containers_and_drops_the_rest(
        svc: ImageService, tmp_path: Path) -> None:
    keep_img = _import(svc, tmp_path, "keep", {"a": b"a" * 100})
    img = svc.get(keep_img)
    svc.rootfs_mounts(img, "c" * 64)  # a container's writable layer on it
    content_before = _files(svc.content.root)
    snaps_before = {i.key for i in svc.snapshotter.walk()}
    before = gc.store_bytes(svc)
    _leave_garbage(svc, tmp_path)
    assert gc.store_bytes(svc) > before  # garbage is counted in what the store holds

    garbage = gc.mark(svc, ["c" * 64])
    assert "extract-0123456789abcdef" in garbage.snapshots and len(garbage.snapshots) == 2
    assert len(garbage.blobs) == 1 and len(garbage.ingest) == 1
    report = svc.collect(lambda: ["c" * 64])
    assert report is not None and report.snapshots == 2 and report.blobs == 1
    assert report.reclaimed > 8000
    assert {i.key for i in svc.snapshotter.walk()} == snaps_before
    assert _files(svc.content.root) == content_before  # ingest/ empty again
    sdir = svc.snapshotter.dir_of(img.top_snapshot).parent
    assert sorted(p.name for p in sdir.iterdir()) == sorted(
        svc.snapshotter.dir_of(k).name for k in snaps_before)
    assert gc.mark(svc, ["c" * 64]) == gc.Garbage()


def test_without_roots_the_store_is_back_to_empty(svc: ImageService, tmp_path: Path) -> None:
    empty = gc.store_bytes(svc)
    parent = _import(svc, tmp_path, "one", {"a": b"a" * 4000})
    svc.rootfs_mounts(svc.get(parent), "c" * 64)
    _leave_garbage(svc, tmp_path)
    svc.remove("one", force=True)
    svc.collect(lambda: [])
    assert list(svc.snapshotter.walk()) == []
    assert list(svc.content.walk()) == []
    assert gc.store_bytes(svc) <= empty + 4 * 4096  # only directory blocks may stay grown


def test_a_kept_snapshot_keeps_its_parents(svc: ImageService, tmp_path: Path) -> None:
    blob = tmp_path / "l.tar"
    blob.write_bytes(layer_tar({"base": b"b"}))
    chain = apply_layer(svc.snapshotter, None, blob)
    svc.snapshotter.prepare("ctr", chain)  # no image references the chain, a container does
    assert gc.mark(svc, ["ctr"]).snapshots == []
    assert gc.mark(svc, []).snapshots == ["ctr", chain]  # children before parents


def test_a_sweep_waits_for_no_operation_and_defers_while_one_runs() -> None:
    gate = GcGate()
    ran: list[str] = []
    done = threading.Event()

    def work() -> None:
        ran.append("swept")
        done.set()

    with gate.busy():
        with gate.busy():  # nested operations (a build creating a step container)
            assert gate.sweep(work) is False
        assert ran == []
    assert done.wait(5) and ran == ["swept"]  # the last operation to leave ran it
    assert gate.sweep(lambda: ran.append("now")) is True and ran[-1] == "now"


def test_an_operation_waits_for_a_running_sweep() -> None:
    gate = GcGate()
    started, release = threading.Event(), threading.Event()
    order: list[str] = []

    def slow() -> None:
        started.set()
        release.wait(5)
        order.append("sweep")

    t = threading.Thread(target=gate.sweep, args=(slow,))
    t.start()
    assert started.wait(5)
    assert gate.try_enter() is False

    def op() -> None:
        with gate.busy():
            order.append("op")

    o = threading.Thread(target=op)
    o.start()
    release.set()
    t.join(5)
    o.join(5)
    assert order == ["sweep", "op"]


def test_hints_of_removed_layers_go_with_them(svc: ImageService, tmp_path: Path) -> None:
    from pallet.images.pushcompress import Hint, hints

    live = svc.get(_import(svc, tmp_path, "keep", {"a": b"a" * 100})).layers[0].digest
    dead = svc.content.write_bytes(b"an orphan layer")
    store = hints(svc)
    for digest in (live, dead):
        store.put("gzip-isal-6", digest, Hint("sha256:" + "0" * 64, 10))
    assert [p.name for p in gc.mark(svc, []).hints] == [dead[7:]]
    svc.collect(lambda: [])
    assert store.get("gzip-isal-6", live) == Hint("sha256:" + "0" * 64, 10)
    assert store.get("gzip-isal-6", dead) is None
