"""One contract, every Snapshotter: the copy snapshotter (no root) and overlay (root).

The lifecycle is containerd's: prepare an active snapshot on a parent, write
into it, commit it under a name, build on the committed one, view it read-only,
remove leaves first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pallet.errors import Conflict, NotFound
from pallet.snapshots.base import Kind, Snapshotter
from pallet.snapshots.mount import mount_all, unmount
from pallet.snapshots.naive import NaiveSnapshotter
from pallet.snapshots.overlay import OverlaySnapshotter

Factory = Callable[[Path], Snapshotter]

IMPLEMENTATIONS = [
    pytest.param(NaiveSnapshotter, id="naive"),
    pytest.param(OverlaySnapshotter, id="overlay", marks=pytest.mark.skipif(
        os.geteuid() != 0, reason="overlay mounts need root (CI runs as root)")),
]


@pytest.fixture(params=IMPLEMENTATIONS)
def sn(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Snapshotter]:
    factory: Factory = request.param
    yield factory(tmp_path / "snaps")


class Mounted:
    """Mount a snapshot's mounts at a directory for the duration of a block."""

    def __init__(self, sn: Snapshotter, key: str, target: Path) -> None:
        self.mounts = sn.mounts(key)
        self.target = target

    def __enter__(self) -> Path:
        self.target.mkdir(parents=True, exist_ok=True)
        mount_all(self.mounts, self.target)
        return self.target

    def __exit__(self, *exc: object) -> None:
        unmount(self.target)


def test_layers_stack_and_views_see_the_parent(sn: Snapshotter, tmp_path: Path) -> None:
    sn.prepare("base-active", None)
    with Mounted(sn, "base-active", tmp_path / "m1") as root:
        (root / "etc").mkdir()
        (root / "etc" / "motd").write_text("base\n")
    sn.commit("base", "base-active")
    assert sn.stat("base").kind is Kind.COMMITTED
    assert not sn.exists("base-active")

    sn.prepare("top-active", "base")
    with Mounted(sn, "top-active", tmp_path / "m2") as root:
        assert (root / "etc" / "motd").read_text() == "base\n"
        (root / "etc" / "motd").write_text("top\n")
    sn.commit("top", "top-active")

    sn.view("look", "base")
    with Mounted(sn, "look", tmp_path / "m3") as root:
        assert (root / "etc" / "motd").read_text() == "base\n"  # the parent is untouched
    sn.view("look-top", "top")
    with Mounted(sn, "look-top", tmp_path / "m4") as root:
        assert (root / "etc" / "motd").read_text() == "top\n"
    assert set(sn.children("base")) >= {"top", "look"}


def test_parents_cannot_be_removed_before_their_children(sn: Snapshotter) -> None:
    sn.prepare("a-active", None)
    sn.commit("a", "a-active")
    sn.prepare("b", "a")
    with pytest.raises(Conflict):
        sn.remove("a")
    sn.remove("b")
    sn.remove("a")
    assert not sn.exists("a")


def test_unknown_keys_and_duplicates(sn: Snapshotter) -> None:
    with pytest.raises(NotFound):
        sn.mounts("nope")
    with pytest.raises(NotFound):
        sn.prepare("x", "no-such-parent")
    sn.prepare("dup", None)
    with pytest.raises(Conflict):
        sn.prepare("dup", None)


def test_usage_counts_what_was_written(sn: Snapshotter, tmp_path: Path) -> None:
    sn.prepare("u", None)
    before = sn.usage("u").size
    with Mounted(sn, "u", tmp_path / "m") as root:
        (root / "blob").write_bytes(b"x" * 100_000)
    assert sn.usage("u").size >= before + 100_000
