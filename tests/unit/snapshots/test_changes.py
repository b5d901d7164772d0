"""``docker diff`` from plain upper/lower dirs: kinds, copied-up dirs, parents,
exclusions, whiteouts and opaque dirs (the last two need root to make)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pallet.snapshots.changes import ADDED, DELETED, MODIFIED, lower_entry, overlay_changes
from pallet.snapshots.diff import prune_mountpoints

ROOT = os.geteuid() == 0


def _pairs(upper: Path, lowers: list[Path], exclude: tuple[str, ...] = ()) -> list[tuple[str, int]]:
    return [(c.path, c.kind) for c in overlay_changes(upper, lowers, exclude)]


def _copy_dir_meta(src: Path, dst: Path) -> None:
    """What overlay's copy-up does to a dir: same mode and times."""
    st = os.stat(src)
    os.chmod(dst, st.st_mode & 0o7777)
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.fixture
def layers(tmp_path: Path) -> tuple[Path, Path]:
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    for d in ("etc", "bin", "usr/lib"):
        (lower / d).mkdir(parents=True)
    (lower / "etc" / "passwd").write_text("root\n")
    (lower / "bin" / "sh").write_text("#!")
    upper.mkdir()
    return lower, upper


def test_added_modified_and_parents(layers: tuple[Path, Path]) -> None:
    lower, upper = layers
    (upper / "etc").mkdir()
    (upper / "etc" / "passwd").write_text("root\nme\n")  # content change: modified
    (upper / "new" / "deep").mkdir(parents=True)
    (upper / "new" / "deep" / "f").write_text("x")
    (upper / "usr" / "lib").mkdir(parents=True)
    (upper / "usr" / "lib" / "added.so").write_text("y")
    _copy_dir_meta(lower / "usr", upper / "usr")
    _copy_dir_meta(lower / "usr" / "lib", upper / "usr" / "lib")
    os.utime(upper / "etc", ns=(0, 123))  # differs from the lower dir: listed
    assert _pairs(upper, [lower]) == [
        ("/etc", MODIFIED), ("/etc/passwd", MODIFIED),
        ("/new", ADDED), ("/new/deep", ADDED), ("/new/deep/f", ADDED),
        # /usr was only copied up (same mode and times): not listed, /usr/lib is,
        # as the parent of an added file
        ("/usr/lib", MODIFIED), ("/usr/lib/added.so", ADDED),
    ]


def test_modified_file_under_an_unchanged_copied_up_dir(layers: tuple[Path, Path]) -> None:
    lower, upper = layers
    (upper / "etc").mkdir()
    (upper / "etc" / "passwd").write_text("changed")
    _copy_dir_meta(lower / "etc", upper / "etc")  # a write in place leaves the dir's mtime
    # Docker lists only the file: a modified entry does not pull its parent in
    assert _pairs(upper, [lower]) == [("/etc/passwd", MODIFIED)]


def test_excluded_paths_and_what_is_under_them(layers: tuple[Path, Path]) -> None:
    lower, upper = layers
    (upper / "etc").mkdir()
    (upper / "etc" / "hosts").write_text("")
    (upper / "data" / "sub").mkdir(parents=True)
    (upper / "kept").write_text("k")
    _copy_dir_meta(lower / "etc", upper / "etc")
    got = _pairs(upper, [lower], ("/etc/hosts", "data"))
    assert got == [("/kept", ADDED)]


def test_lower_symlinks_are_not_followed(tmp_path: Path) -> None:
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    lower.mkdir()
    os.symlink("/", lower / "host")  # an absolute link in the image: never the host's /
    (upper / "host" / "etc").mkdir(parents=True)
    assert lower_entry([lower], "host/etc") is None
    assert _pairs(upper, [lower]) == [("/host", MODIFIED), ("/host/etc", ADDED)]


def test_several_lowers_top_most_first(tmp_path: Path) -> None:
    top, bottom, upper = tmp_path / "top", tmp_path / "bottom", tmp_path / "upper"
    (bottom / "d").mkdir(parents=True)
    (bottom / "d" / "old").write_text("o")
    top.mkdir()
    (top / "d").write_text("d is a file in the top layer")  # covers bottom's dir
    (upper / "d").mkdir(parents=True)
    (upper / "d" / "old").write_text("n")
    assert lower_entry([top, bottom], "d/old") is None
    assert lower_entry([bottom], "d/old") is not None
    assert _pairs(upper, [top, bottom]) == [("/d", MODIFIED), ("/d/old", ADDED)]


@pytest.mark.skipif(not ROOT, reason="whiteouts are 0:0 character devices (root)")
def test_whiteouts_are_deleted(layers: tuple[Path, Path]) -> None:
    lower, upper = layers
    (upper / "bin").mkdir()
    _copy_dir_meta(lower / "bin", upper / "bin")
    os.mknod(upper / "bin" / "sh", 0o600 | 0o020000, os.makedev(0, 0))
    assert _pairs(upper, [lower]) == [("/bin", MODIFIED), ("/bin/sh", DELETED)]


@pytest.mark.skipif(not ROOT, reason="opaque dirs need trusted.* xattrs (root)")
def test_opaque_dir_lists_the_names_it_hides(tmp_path: Path) -> None:
    top, bottom, upper = tmp_path / "top", tmp_path / "bottom", tmp_path / "upper"
    (bottom / "home").mkdir(parents=True)
    for n in ("a", "b", "c"):
        (bottom / "home" / n).write_text(n)
    (top / "home").mkdir(parents=True)
    os.mknod(top / "home" / "b", 0o600 | 0o020000, os.makedev(0, 0))  # b already gone
    (top / "home" / "d").write_text("d")
    (upper / "home").mkdir(parents=True)
    os.setxattr(upper / "home", "trusted.overlay.opaque", b"y")
    (upper / "home" / "a").write_text("new a")
    assert _pairs(upper, [top, bottom]) == [
        ("/home", MODIFIED), ("/home/a", ADDED), ("/home/c", DELETED), ("/home/d", DELETED),
    ]


def test_prune_dry_run_removes_nothing(tmp_path: Path) -> None:
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    (lower / "etc").mkdir(parents=True)
    (upper / "etc").mkdir(parents=True)
    os.chmod(upper / "etc", os.stat(lower / "etc").st_mode & 0o7777)
    (upper / "etc" / "hostname").write_text("")
    (upper / "run" / "secrets").mkdir(parents=True)
    (upper / "run" / "secrets" / "tok").write_text("")
    (upper / "data").mkdir()
    (upper / "data" / "file").write_text("y")
    dests = ["/etc/hostname", "/run/secrets/tok", "/data"]
    would = prune_mountpoints(upper, [lower], dests, dry_run=True)
    assert sorted(would) == ["etc", "etc/hostname", "run", "run/secrets", "run/secrets/tok"]
    assert (upper / "run" / "secrets" / "tok").exists() and (upper / "etc" / "hostname").exists()
    assert sorted(prune_mountpoints(upper, [lower], dests)) == sorted(would)
    assert sorted(os.listdir(upper)) == ["data"]


def test_a_file_swapped_for_a_symlink_is_not_read(tmp_path: Path) -> None:
    """write_layer reads what it listed, or nothing (a live container's tree changes)."""
    from pallet.snapshots.diff import _open_same

    root = tmp_path / "root"
    (root / "d").mkdir(parents=True)
    secret = tmp_path / "outside"
    secret.write_text("host secret")
    (root / "d" / "f").write_text("mine")
    st = os.lstat(root / "d" / "f")
    fd = os.open(root, os.O_PATH | os.O_DIRECTORY)
    try:
        f = _open_same(fd, "d/f", st)
        assert f is not None and f.read() == b"mine"
        f.close()
        os.unlink(root / "d" / "f")
        os.symlink(secret, root / "d" / "f")  # swapped after the walk saw a file
        assert _open_same(fd, "d/f", st) is None
        os.rename(root / "d", root / "d2")
        os.symlink(tmp_path, root / "d")  # a parent dir swapped for a link out
        assert _open_same(fd, "d/outside", os.lstat(secret)) is None
    finally:
        os.close(fd)
