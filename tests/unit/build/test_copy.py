"""COPY semantics and context safety on plain directories (no mounts)."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from pallet.build.context import clean_source, find_sources, hash_tree
from pallet.build.copy import Owner, copy_sources, dest_path, extract_archive, write_file
from pallet.errors import InvalidArgument, NotFound

ME = Owner(os.getuid(), os.getgid())


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    c = tmp_path / "ctx"
    (c / "dir" / "sub").mkdir(parents=True)
    (c / "dir" / "a.txt").write_text("a")
    (c / "dir" / "sub" / "b.txt").write_text("b")
    (c / "one.txt").write_text("one")
    (c / "two.txt").write_text("two")
    os.symlink("/etc/passwd", c / "abs-link")
    os.symlink("../../outside", c / "dir" / "up-link")
    return c


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "root"
    (r / "etc").mkdir(parents=True)
    (r / "existing").mkdir()
    os.symlink("/etc", r / "etc-link")
    os.symlink("/../../../../tmp", r / "escape")
    return r


@pytest.mark.parametrize(
    ("dest", "workdir", "out"),
    [("/a", "/", "/a"), ("a/", "/w", "/w/a/"), (".", "/w", "/w/"), ("x", "", "/x"),
     ("../y", "/w/v", "/w/y")],
)
def test_dest_path(dest: str, workdir: str, out: str) -> None:
    assert dest_path(dest, workdir) == out


def test_clean_source_refuses_escape() -> None:
    assert clean_source("./a/../b") == "b"
    assert clean_source("/abs/x") == "abs/x"
    with pytest.raises(InvalidArgument, match="outside the build context"):
        clean_source("../x")
    with pytest.raises(InvalidArgument):
        clean_source("a/../../x")


def test_symlink_sources_stay_inside(ctx: Path) -> None:
    with pytest.raises(NotFound, match="file not found in build context"):
        find_sources(ctx, "abs-link")  # /etc/passwd means <ctx>/etc/passwd: absent
    (ctx / "etc").mkdir()
    (ctx / "etc" / "passwd").write_text("inside")
    [src] = find_sources(ctx, "abs-link")
    assert src.host == ctx / "etc" / "passwd"


def test_glob(ctx: Path) -> None:
    assert [s.rel for s in find_sources(ctx, "*.txt")] == ["one.txt", "two.txt"]
    assert [s.rel for s in find_sources(ctx, "dir/*.txt")] == ["dir/a.txt"]
    with pytest.raises(NotFound):
        find_sources(ctx, "*.nothing")


def test_copy_dir_contents_and_files(ctx: Path, root: Path) -> None:
    copy_sources(root, find_sources(ctx, "dir"), "/app", "/", ME)
    assert (root / "app" / "a.txt").read_text() == "a"
    assert (root / "app" / "sub" / "b.txt").read_text() == "b"
    assert os.readlink(root / "app" / "up-link") == "../../outside"  # kept as a link
    copy_sources(root, find_sources(ctx, "one.txt"), "/existing", "/", ME)
    assert (root / "existing" / "one.txt").read_text() == "one"
    copy_sources(root, find_sources(ctx, "one.txt"), "/renamed", "/", ME, chmod=0o700)
    assert (root / "renamed").read_text() == "one"
    assert (root / "renamed").stat().st_mode & 0o777 == 0o700
    copy_sources(root, find_sources(ctx, "*.txt"), "rel/", "/w", ME)
    assert sorted(os.listdir(root / "w" / "rel")) == ["one.txt", "two.txt"]


def test_multiple_sources_need_dir_dest(ctx: Path, root: Path) -> None:
    with pytest.raises(InvalidArgument, match="must be a directory and end with a /"):
        copy_sources(root, find_sources(ctx, "*.txt"), "/file", "/", ME)


def test_destination_symlinks_resolve_inside_root(ctx: Path, root: Path, tmp_path: Path) -> None:
    copy_sources(root, find_sources(ctx, "one.txt"), "/etc-link/", "/", ME)
    assert (root / "etc" / "one.txt").read_text() == "one"
    copy_sources(root, find_sources(ctx, "one.txt"), "/escape/x", "/", ME)
    assert (root / "tmp" / "x").read_text() == "one"
    assert not (tmp_path / "x").exists()


def test_heredoc_file(root: Path) -> None:
    write_file(root, "/etc/motd", "/", b"hi\n", ME, None)
    assert (root / "etc" / "motd").read_bytes() == b"hi\n"
    assert (root / "etc" / "motd").stat().st_mode & 0o777 == 0o644


def test_add_archive_cannot_escape(tmp_path: Path, root: Path) -> None:
    arch = tmp_path / "a.tar"
    with tarfile.open(arch, "w") as tf:
        for name, data in (("ok.txt", b"ok"), ("../../evil.txt", b"evil")):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    with pytest.raises(InvalidArgument):
        extract_archive(arch, root, "/unpacked", "/", ME)
    assert not (tmp_path / "evil.txt").exists()
    assert not (root / "evil.txt").exists()


def test_hash_tree_ignores_mtime_not_content(ctx: Path) -> None:
    before = hash_tree(ctx / "dir")
    os.utime(ctx / "dir" / "a.txt", (1, 1))
    assert hash_tree(ctx / "dir") == before
    (ctx / "dir" / "a.txt").write_text("A")
    assert hash_tree(ctx / "dir") != before
    after = hash_tree(ctx / "dir")
    os.chmod(ctx / "dir" / "a.txt", 0o600)
    assert hash_tree(ctx / "dir") != after
