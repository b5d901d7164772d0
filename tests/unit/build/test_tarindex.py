"""The context tar index against the extracted tree: same paths, same sources, same
digests; nothing extracted on a cached path; each file hashed once; fallbacks."""

from __future__ import annotations

import gzip
import io
import os
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pallet.build.buildcontext import BuildContext
from pallet.build.context import find_sources, hash_tree, unpack
from pallet.build.tarindex import TarIndex, scan
from pallet.errors import DataCorruption, NotFound
from pallet.system.securejoin import secure_join


@pytest.fixture(autouse=True)
def _umask() -> Iterator[None]:
    old = os.umask(0o022)  # implicit directories: 0755 on disk as in the index
    yield
    os.umask(old)


def _tree(root: Path) -> None:
    (root / "dir" / "sub" / "deep").mkdir(parents=True)
    (root / "empty").mkdir(mode=0o700)
    (root / "dir" / "a.txt").write_text("a")
    (root / "dir" / "sub" / "b.txt").write_text("b")
    (root / "dir" / "sub" / "deep" / "c.bin").write_bytes(os.urandom(3000))
    (root / "one.txt").write_text("one")
    (root / "two.txt").write_text("two")
    (root / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(root / "run.sh", 0o755)
    os.chmod(root / "two.txt", 0o600)
    os.symlink("/etc/passwd", root / "abs-link")
    os.symlink("../../outside", root / "dir" / "up-link")
    os.symlink("dir", root / "dir-link")
    os.symlink("one.txt", root / "file-link")
    os.symlink("/dir/sub", root / "dir" / "abs-sub")
    os.symlink("missing", root / "dangling")
    (root / "Dockerfile").write_text("FROM scratch\n")


def _tar_dir(src: Path, out: Path) -> None:
    """As the CLI sends a context: a walk of ``src``, PAX, owners 0:0."""
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames.sort()
            for name in sorted(dirnames + filenames):
                full = Path(dirpath) / name
                tf.add(full, full.relative_to(src).as_posix(), recursive=False)


@pytest.fixture
def ctx_tar(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    _tree(src)
    _tar_dir(src, tmp_path / "ctx.tar")
    return tmp_path / "ctx.tar"


@pytest.fixture
def extracted(ctx_tar: Path, tmp_path: Path) -> Path:
    d = tmp_path / "extracted"
    unpack(ctx_tar, d)
    return d


@pytest.fixture
def ctx(ctx_tar: Path, tmp_path: Path) -> Iterator[BuildContext]:
    c = BuildContext.open(ctx_tar, tmp_path / "work")
    assert c.index is not None
    yield c
    c.close()


PATHS = ["", ".", "one.txt", "dir", "dir/sub/b.txt", "dir-link", "dir-link/sub", "file-link",
         "abs-link", "dir/up-link", "dir/abs-sub/b.txt", "dangling", "nothing/x",
         "dir/../one.txt", "dir-link/../two.txt"]


@pytest.mark.parametrize("path", PATHS)
def test_resolve_matches_secure_join(ctx: BuildContext, extracted: Path, path: str) -> None:
    assert ctx.index is not None
    on_disk = secure_join(extracted, path).relative_to(extracted).as_posix()
    assert ctx.index.resolve(path) == ("" if on_disk == "." else on_disk)


PATTERNS = ["one.txt", "dir", "dir/", ".", "dir-link", "file-link", "dir/sub/deep/c.bin",
            "*.txt", "dir/*", "*/sub", "**/b.txt", "d?r", "[ot]*.txt", "dir-link/a.txt",
            "dir/abs-sub"]


def _rel(host: Path, base: Path) -> str:
    return host.relative_to(base).as_posix()


@pytest.mark.parametrize("pattern", PATTERNS)
def test_sources_and_digests_match_the_disk(ctx: BuildContext, extracted: Path,
                                            pattern: str) -> None:
    disk = find_sources(extracted, pattern)
    indexed = ctx.find(pattern)
    assert [(s.rel, s.is_dir, _rel(s.host, ctx.work)) for s in indexed] == [
        (s.rel, s.is_dir, _rel(s.host, extracted)) for s in disk]
    for s, d in zip(indexed, disk, strict=True):
        if d.host.exists():
            assert ctx.digest(s) == hash_tree(d.host)
        else:  # a dangling link matched by a glob: an error either way
            with pytest.raises(NotFound):
                ctx.digest(s)
    assert not ctx.work.exists()  # deciding the key extracted nothing


@pytest.mark.parametrize("pattern", ["abs-link", "dangling", "nothing", "one.txt/x"])
def test_missing_sources_fail_alike(ctx: BuildContext, extracted: Path, pattern: str) -> None:
    with pytest.raises(NotFound, match="file not found in build context") as disk:
        find_sources(extracted, pattern)
    with pytest.raises(NotFound) as indexed:
        ctx.find(pattern)
    assert str(indexed.value) == str(disk.value)


def test_no_glob_match_is_not_found(ctx: BuildContext) -> None:
    with pytest.raises(NotFound, match="no source files were specified"):
        ctx.find("*.nothing")
    with pytest.raises(NotFound, match="stat d\\?r"):
        ctx.find("d?r", glob=False)  # a bind source is a path, not a pattern
    [src] = ctx.find("dir", glob=False)
    assert src.is_dir and src.rel == "dir"


def test_each_file_is_read_once(ctx: BuildContext, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[int] = []
    orig = TarIndex._pread

    def counting(self: TarIndex, e: object) -> Iterator[bytes]:
        reads.append(id(e))
        return orig(self, e)  # type: ignore[arg-type]

    monkeypatch.setattr(TarIndex, "_pread", counting)
    for pattern in (".", "dir", "dir/sub", "*.txt", "dir-link"):
        for s in ctx.find(pattern):
            ctx.digest(s)
    assert len(reads) == len(set(reads)) == 7  # every regular file, once


def test_root_extracts_once_and_sources_exist(ctx: BuildContext) -> None:
    srcs = ctx.find("dir")
    assert not srcs[0].host.exists()
    root = ctx.root()
    assert root == ctx.work and srcs[0].host.is_dir()
    assert (root / "dir" / "sub" / "b.txt").read_text() == "b"
    assert ctx.root() == root
    assert ctx.path("dir-link/a.txt") == root / "dir" / "a.txt"


def test_read_follows_links_inside(ctx: BuildContext) -> None:
    assert ctx.read("Dockerfile") == b"FROM scratch\n"
    assert ctx.read("dir-link/a.txt") == b"a"
    assert ctx.read("dir") is None and ctx.read("abs-link") is None
    assert ctx.read("../../Dockerfile") == b"FROM scratch\n"  # clamped at the root


def test_dockerignore_drops_dockerfile_and_itself(tmp_path: Path) -> None:
    for indexed in (True, False):
        src = tmp_path / f"src-{indexed}"
        src.mkdir()
        (src / "Dockerfile").write_text("FROM scratch\n")
        (src / ".dockerignore").write_text("Dockerfile\n.dockerignore\n")
        (src / "kept.txt").write_text("k")
        if not indexed:
            os.link(src / "kept.txt", src / "hard.txt")  # only an extraction handles it
        _tar_dir(src, tmp_path / f"c-{indexed}.tar")
        c = BuildContext.open(tmp_path / f"c-{indexed}.tar", tmp_path / f"w-{indexed}")
        try:
            assert (c.index is not None) == indexed
            assert c.read("Dockerfile") == b"FROM scratch\n"
            c.drop_ignored("Dockerfile")
            with pytest.raises(NotFound):
                c.find("Dockerfile")
            assert [s.rel for s in c.find("*")] == (["kept.txt"] if indexed
                                                    else ["hard.txt", "kept.txt"])
            root = c.root()
            assert sorted(os.listdir(root)) == sorted(s.rel for s in c.find("*"))
        finally:
            c.close()
        assert not (tmp_path / f"w-{indexed}").exists()


def test_dockerignore_keeps_what_it_does_not_name(ctx_tar: Path, tmp_path: Path) -> None:
    c = BuildContext.open(ctx_tar, tmp_path / "w")
    c.drop_ignored("Dockerfile")  # no .dockerignore at all
    assert c.read("Dockerfile") is not None
    c.close()


def _tar_members(out: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
        for ti, data in members:
            ti.size = len(data) if ti.isreg() else 0
            tf.addfile(ti, io.BytesIO(data) if ti.isreg() else None)
    return out


def _ti(name: str, kind: bytes = tarfile.REGTYPE, link: str = "",
        mode: int = 0o644) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.type, ti.linkname, ti.mode = kind, link, mode
    return ti


@pytest.mark.parametrize("members", [
    [(_ti("a"), b"x"), (_ti("h", tarfile.LNKTYPE, "a"), b"")],
    [(_ti("a"), b"x"), (_ti("a"), b"y")],
    [(_ti("d", tarfile.DIRTYPE, mode=0o755), b""), (_ti("d"), b"y")],
    [(_ti("l", tarfile.SYMTYPE, "d"), b""), (_ti("l/x"), b"y")],
    [(_ti("f"), b"x"), (_ti("f/x"), b"y")],
    [(_ti("p", tarfile.FIFOTYPE), b"")],
], ids=["hardlink", "duplicate", "dir-then-file", "below-symlink", "below-file", "fifo"])
def test_tars_only_extraction_describes_fall_back(tmp_path: Path,
                                                  members: list[tuple[tarfile.TarInfo, bytes]]
                                                  ) -> None:
    tar = _tar_members(tmp_path / "odd.tar", members)
    assert scan(tar) is None
    try:
        unpack(tar, tmp_path / "probe")
    except Exception as e:  # what the extraction says, the build says
        with pytest.raises(type(e), match=re.escape(str(e))):
            BuildContext.open(tar, tmp_path / "w")
        assert not (tmp_path / "w").exists()
        return
    c = BuildContext.open(tar, tmp_path / "w")
    try:
        assert c.index is None and c.extracted  # extracted up front, read from disk
        for s in c.find("*"):
            if s.host.exists():
                assert c.digest(s) == hash_tree(s.host)
    finally:
        c.close()
    assert not (tmp_path / "w").exists()


def test_implicit_parents_and_whiteout_names(tmp_path: Path) -> None:
    tar = _tar_members(tmp_path / "t.tar", [(_ti("x/y/z.txt"), b"z"), (_ti("x/.wh.q"), b""),
                                            (_ti("x", tarfile.DIRTYPE, mode=0o700), b"")])
    idx = scan(tar, skip=lambda n: ".wh." in n)
    assert idx is not None
    assert idx.entries["x"].mode == 0o700 and idx.entries["x/y"].mode == 0o755
    assert "x/.wh.q" not in idx.entries
    d = tmp_path / "d"
    unpack(tar, d)
    assert idx.digest("x") == hash_tree(d / "x")


def test_gzip_context_is_indexed_and_cleaned(ctx_tar: Path, tmp_path: Path) -> None:
    body = tmp_path / "body.tar.gz"
    body.write_bytes(gzip.compress(ctx_tar.read_bytes()))
    c = BuildContext.open(body, tmp_path / "w")
    assert c.index is not None and c.owns_tar and c.tar != body
    plain = BuildContext.open(ctx_tar, tmp_path / "w2")
    assert c.digest(c.find(".")[0]) == plain.digest(plain.find(".")[0])
    plain.close()
    c.close()
    assert body.exists() and not c.tar.exists() and ctx_tar.exists()


def test_digest_follows_content_and_mode_not_mtime(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    _tree(src)

    def digest() -> str:
        _tar_dir(src, tmp_path / "t.tar")
        c = BuildContext.open(tmp_path / "t.tar", tmp_path / "w")
        try:
            return c.digest(c.find("dir")[0])
        finally:
            c.close()

    first = digest()
    os.utime(src / "dir" / "a.txt", (1, 1))
    assert digest() == first
    (src / "dir" / "a.txt").write_text("A")
    changed = digest()
    assert changed != first
    os.chmod(src / "dir" / "a.txt", 0o600)
    assert digest() != changed
    os.rename(src / "dir" / "a.txt", src / "dir" / "a2.txt")
    assert digest() not in (first, changed)


def _two_files(tmp_path: Path) -> tuple[bytes, int]:
    """A tar of a.txt (700 bytes) and b.txt (300 bytes); returns it and b's data offset."""
    tar = _tar_members(tmp_path / "two.tar", [(_ti("a.txt"), b"a" * 700),
                                              (_ti("b.txt"), b"b" * 300)])
    with tarfile.open(tar) as tf:
        return tar.read_bytes(), tf.getmember("b.txt").offset_data


@pytest.mark.parametrize("cut", ["data-end", "mid-padding", "block-end"])
def test_context_without_final_padding_is_read(tmp_path: Path, cut: str) -> None:
    """The docker CLI's context when -f names a Dockerfile outside it stops right after
    the last member's data; Docker's daemon reads it, so does pallet."""
    data, b_off = _two_files(tmp_path)
    end = {"data-end": b_off + 300, "mid-padding": b_off + 400, "block-end": b_off + 512}[cut]
    body = tmp_path / "body.tar"
    body.write_bytes(data[:end])
    c = BuildContext.open(body, tmp_path / "w")
    try:
        assert c.index is not None
        assert c.read("b.txt") == b"b" * 300 and c.read("a.txt") == b"a" * 700
        assert (c.root() / "b.txt").read_bytes() == b"b" * 300
    finally:
        c.close()


def test_context_cut_inside_data_is_refused(tmp_path: Path) -> None:
    data, b_off = _two_files(tmp_path)
    body = tmp_path / "body.tar"
    body.write_bytes(data[:b_off + 100])
    with pytest.raises(DataCorruption, match="unexpected end of data"):
        BuildContext.open(body, tmp_path / "w")
    assert not (tmp_path / "w").exists()


def test_context_cut_inside_a_header_is_left_to_the_extraction(tmp_path: Path) -> None:
    """The index is never more lenient than the extraction: odd tails go to it."""
    data, b_off = _two_files(tmp_path)
    body = tmp_path / "body.tar"
    body.write_bytes(data[:b_off - 300])
    assert scan(body) is None
    unpack(body, tmp_path / "probe")
    c = BuildContext.open(body, tmp_path / "w")
    try:
        assert c.index is None and sorted(os.listdir(c.work)) == os.listdir(tmp_path / "probe")
    finally:
        c.close()
