"""cp's fd-anchored pieces without a container: the tree writer, the anchors, the archive ops."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from pallet.engine.archive import extract_to, stat_path, tar_path
from pallet.engine.cproot import ContainerFS, clean, stopped_root
from pallet.engine.fdtar import TreeWriter
from pallet.errors import InvalidArgument, NotFound


def _members(raw: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(raw)) as tf:
        return {m.name: m for m in tf}


def _write(root: Path, name: str) -> bytes:
    buf = io.BytesIO()
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with tarfile.open(fileobj=buf, mode="w|", format=tarfile.PAX_FORMAT) as tf:
            TreeWriter(tf).add(fd, name, name)
    finally:
        os.close(fd)
    return buf.getvalue()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "d" / "sub").mkdir(parents=True)
    (root / "d" / "a.txt").write_bytes(b"alpha")
    os.link(root / "d" / "a.txt", root / "d" / "hard.txt")
    (root / "d" / "abs").symlink_to("/etc")
    os.mkfifo(root / "d" / "fifo")
    (root / "d" / "sub" / "b.txt").write_bytes(b"beta")
    return root


def test_tree_writer_keeps_links_as_links_and_never_opens_a_fifo(tree: Path) -> None:
    got = _members(_write(tree, "d"))
    assert sorted(got) == ["d", "d/a.txt", "d/abs", "d/fifo", "d/hard.txt", "d/sub", "d/sub/b.txt"]
    assert got["d/abs"].issym() and got["d/abs"].linkname == "/etc"
    assert got["d/fifo"].isfifo()
    assert got["d/hard.txt"].islnk() and got["d/hard.txt"].linkname == "d/a.txt"


def test_clean_never_climbs_above_the_root() -> None:
    assert clean("/../../etc/./passwd") == ["etc", "passwd"]
    assert clean("a/b/../c/") == ["a", "c"]


def _fs(tree: Path, mounts: dict[str, Path] | None = None) -> ContainerFS:
    return stopped_root(tree, mounts or {})


def test_stat_and_tar_resolve_symlinks_inside_the_root(tree: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"host")
    (tree / "d" / "escape").symlink_to(outside)
    (tree / "d" / "up").symlink_to("../../../outside")
    fs = _fs(tree)
    try:
        st = stat_path(fs, "/d/escape")
        assert st.link_target == "/" + "/".join(clean(str(outside)))
        with pytest.raises(NotFound):
            tar_path(fs, "/d/escape/secret")
        with pytest.raises(NotFound):
            tar_path(fs, "/d/up/secret")
        (tree / "d" / "dangling").symlink_to("/nowhere")
        with pytest.raises(NotFound):
            tar_path(fs, "/d/dangling/")  # the link followed: its target is missing
        with pytest.raises(InvalidArgument, match="not a directory"):
            tar_path(fs, "/d/a.txt/")
        _, spool = tar_path(fs, "/d/sub/")
        with spool:
            assert sorted(_members(spool.read())) == ["sub", "sub/b.txt"]
    finally:
        fs.close()


def test_extract_lands_under_the_root_and_honours_mounts(tree: Path, tmp_path: Path) -> None:
    vol = tmp_path / "vol"
    vol.mkdir()
    archive = tmp_path / "in.tar"
    with tarfile.open(archive, "w") as tf:
        info = tarfile.TarInfo("new.txt")
        info.size = 3
        tf.addfile(info, io.BytesIO(b"new"))
    (tree / "d" / "toroot").symlink_to("/")
    fs = _fs(tree, {"/data": vol})
    try:
        extract_to(fs, "/data", archive, no_overwrite_dir_non_dir=True)
        extract_to(fs, "/d/toroot", archive, no_overwrite_dir_non_dir=True)
        with pytest.raises(NotFound):
            extract_to(fs, "/missing", archive, no_overwrite_dir_non_dir=True)
        with pytest.raises(InvalidArgument):
            extract_to(fs, "/d/a.txt", archive, no_overwrite_dir_non_dir=True)
    finally:
        fs.close()
    assert (vol / "new.txt").read_bytes() == b"new"
    assert (tree / "new.txt").read_bytes() == b"new"
    assert not (tree / "data").exists()
