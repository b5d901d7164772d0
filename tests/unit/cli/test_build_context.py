"""The build context ``pallet build`` streams: what is sent, in what tar, how the daemon
reads it (``tarindex.scan`` must index it: no extraction fallback), and the command's
request (chunked body, query) against the fake engine."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import tarfile
from pathlib import Path
from typing import Any

import pytest

from conftest import Harness
from pallet.build.buildcontext import BuildContext
from pallet.build.tarindex import scan
from pallet.cli.buildctx import INJECTED, Context, ContextError, header


def _members(ctx: Context, size: int = 1 << 20) -> dict[str, tuple[tarfile.TarInfo, bytes]]:
    data = b"".join(ctx.chunks(size))
    out: dict[str, tuple[tarfile.TarInfo, bytes]] = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        for m in tf.getmembers():
            assert m.name not in out, f"{m.name} sent twice"
            f = tf.extractfile(m) if m.isreg() else None
            out[m.name] = (m, f.read() if f else b"")
    assert len(ctx) == len(out)
    return out


def _names(ctx: Context) -> set[str]:
    return set(_members(ctx))


def _index(ctx: Context, tmp: Path) -> Any:
    tar = tmp / "ctx.tar"
    tar.write_bytes(b"".join(ctx.chunks()))
    return scan(tar)


def _tree(root: Path) -> None:
    for rel in ("Dockerfile", "a.txt", "logs/1.log", "logs/keep.log", "src/m.py", "node/x.js"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)


def test_without_dockerignore_everything_is_sent_and_indexed(tmp_path: Path) -> None:
    root = tmp_path / "ctx"
    _tree(root)
    os.chmod(root / "a.txt", 0o751)
    os.symlink("src/m.py", root / "link")
    members = _members(Context(str(root)))
    assert set(members) == {"Dockerfile", "a.txt", "logs", "logs/1.log", "logs/keep.log",
                            "src", "src/m.py", "node", "node/x.js", "link"}
    assert all(m.uid == 0 and m.gid == 0 and m.uname == "" for m, _ in members.values())
    assert members["a.txt"][0].mode == 0o751 and members["a.txt"][1] == b"a.txt"
    assert members["src"][0].isdir() and members["link"][0].linkname == "src/m.py"
    assert members["logs/1.log"][0].mtime == int(os.stat(root / "logs/1.log").st_mtime)
    idx = _index(Context(str(root)), tmp_path)
    assert idx is not None and idx.read("link") == b"src/m.py"


def test_dockerignore_excludes_reincludes_and_keeps_the_dockerfile(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / ".dockerignore").write_text("# comment\nnode\nlogs\n!logs/keep.log\nDockerfile\n")
    assert _names(Context(str(tmp_path))) == {".dockerignore", "Dockerfile", "a.txt",
                                              "logs/keep.log", "src", "src/m.py"}
    (tmp_path / ".dockerignore").write_text("\n\n# only a comment\n")  # no patterns
    assert "node/x.js" in _names(Context(str(tmp_path)))


def test_a_dockerfile_inside_an_excluded_directory_is_still_sent(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / "build").mkdir()
    (tmp_path / "build/Dockerfile").write_text("FROM busybox\n")
    (tmp_path / "build/other").write_text("x")
    (tmp_path / ".dockerignore").write_text("build\n")
    names = _names(Context(str(tmp_path), "build/Dockerfile"))
    assert "build/Dockerfile" in names and "build/other" not in names


def test_hardlinks_go_as_regular_files_so_the_daemon_indexes_the_tar(tmp_path: Path) -> None:
    root = tmp_path / "ctx"
    root.mkdir()
    (root / "one").write_bytes(b"shared content")
    os.link(root / "one", root / "two")
    members = _members(Context(str(root)))
    for name in ("one", "two"):
        assert members[name][0].isreg() and members[name][1] == b"shared content"
    idx = _index(Context(str(root)), tmp_path)
    assert idx is not None and idx.read("two") == b"shared content"


def test_long_and_non_ascii_names_and_link_targets_round_trip(tmp_path: Path) -> None:
    root = tmp_path / "ctx"
    split = "a" * 90 + "/" + "b" * 99  # fits ustar's prefix + name
    pax = "c" * 120 + "/" + "d" * 150  # does not: a PAX path record
    for rel in (split, pax + "/é ü.txt", "ünïcode"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    os.symlink("t" * 200, root / "far")
    os.symlink("ñ", root / "near")
    members = _members(Context(str(root)))
    for rel in (split, pax + "/é ü.txt", "ünïcode"):
        assert members[rel][1] == rel.encode()
    assert members[pax][0].isdir()
    assert members["far"][0].linkname == "t" * 200 and members["near"][0].linkname == "ñ"
    idx = _index(Context(str(root)), tmp_path)
    assert idx is not None and idx.read(pax + "/é ü.txt") == (pax + "/é ü.txt").encode()


def test_fifos_are_sent_and_sockets_skipped(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tmp_path / "sock"))
        members = _members(Context(str(tmp_path)))
    finally:
        sock.close()
    assert members["fifo"][0].isfifo() and "sock" not in members


def test_pieces_have_the_asked_size_and_the_same_bytes(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(os.urandom(300_000))
    for i in range(40):
        (tmp_path / f"small{i}").write_bytes(os.urandom(i * 37))
    ctx = Context(str(tmp_path))
    pieces = list(ctx.chunks(65536))
    assert all(len(p) == 65536 for p in pieces[:-1]) and 0 < len(pieces[-1]) <= 65536
    whole = b"".join(ctx.chunks(1 << 20))
    assert b"".join(pieces) == whole and len(whole) % 512 == 0
    assert hashlib.sha256(_members(ctx, 4096)["big"][1]).digest() == hashlib.sha256(
        (tmp_path / "big").read_bytes()).digest()


def test_a_file_that_shrinks_while_streaming_keeps_the_tar_whole(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x" * 1000)
    (tmp_path / "g").write_bytes(b"after")
    ctx = Context(str(tmp_path))
    (tmp_path / "f").write_bytes(b"y" * 10)
    members = _members(ctx)
    assert members["f"][1] == b"y" * 10 + bytes(990) and members["g"][1] == b"after"


def test_a_file_replaced_by_a_symlink_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x")
    ctx = Context(str(tmp_path))
    (tmp_path / "f").unlink()
    os.symlink("/etc/passwd", tmp_path / "f")
    with pytest.raises(ContextError, match=r"^error checking context: '.*/f"):
        b"".join(ctx.chunks())


def test_an_unlistable_context_is_reported_before_sending(tmp_path: Path) -> None:
    with pytest.raises(ContextError, match="error checking context"):
        Context(str(tmp_path / "missing"))


def test_outside_dockerfile_without_dockerignore_is_dropped_by_the_daemon(
        tmp_path: Path) -> None:
    root = tmp_path / "ctx"
    _tree(root)
    ctx = Context(str(root), None, b"FROM busybox\nCOPY . /app\n")
    assert ctx.dockerfile == INJECTED
    members = _members(ctx)
    assert members[INJECTED][1] == b"FROM busybox\nCOPY . /app\n"
    assert members[".dockerignore"][1] == f".dockerignore\n{INJECTED}\n".encode()
    tar = tmp_path / "ctx.tar"
    tar.write_bytes(b"".join(ctx.chunks()))
    bc = BuildContext.open(tar, tmp_path / "work")
    try:
        assert bc.index is not None and bc.read(INJECTED) == b"FROM busybox\nCOPY . /app\n"
        bc.drop_ignored(INJECTED)
        names = {s.rel for s in bc.find("*")}
        assert names == {"Dockerfile", "a.txt", "logs", "src", "node"}
    finally:
        bc.close()


def test_outside_dockerfile_is_appended_to_an_existing_dockerignore(tmp_path: Path) -> None:
    root = tmp_path / "ctx"
    _tree(root)
    (root / ".dockerignore").write_text("node\n!node/x.js")
    members = _members(Context(str(root), None, b"FROM scratch\n"))
    assert members[".dockerignore"][1] == f"node\n!node/x.js\n{INJECTED}\n".encode()
    assert "node/x.js" in members and INJECTED in members
    (root / ".dockerignore").write_text("Dockerfile\n")  # the context's own is excluded
    assert "Dockerfile" not in _names(Context(str(root), None, b"FROM scratch\n"))
    (root / INJECTED).write_text("a real file of that name")
    ctx = Context(str(root), None, b"FROM scratch\n")
    assert ctx.dockerfile.startswith(".dockerfile.")
    members = _members(ctx)
    assert members[INJECTED][1] == b"a real file of that name"
    assert members[ctx.dockerfile][1] == b"FROM scratch\n"


def test_header_uses_pax_only_when_ustar_cannot_say_it() -> None:
    assert len(header("a/b", 0o644, 1, 0, b"0")) == 512
    assert len(header("x" * 50 + "/" + "y" * 100, 0o644, 1, 0, b"0")) == 512
    big = header("big", 0o644, 8**11, 0, b"0")
    assert len(big) == 1536 and b" size=8589934592\n" in big
    with tarfile.open(fileobj=io.BytesIO(header("é", 0o644, 0, 5, b"0") + bytes(1024))) as tf:
        (m,) = tf.getmembers()
    assert m.name == "é" and m.mtime == 5


# -- the command, against the fake engine ------------------------------------------------

def test_build_streams_the_context_chunked(engine: Harness, tmp_path: Path) -> None:
    _tree(tmp_path)
    blob = os.urandom(3 << 20)  # pieces of 1 MiB: the big-chunk path of the wire
    (tmp_path / "blob").write_bytes(blob)
    res = engine.run("build", "-q", "-t", "x:1", str(tmp_path))
    assert res.exit_code == 0, res.stderr
    assert res.stdout == "sha256:" + "b" * 64 + "\n"
    ((_, _, query, body),) = [r for r in engine.engine.requests if r[1] == "/build"]
    assert query["dockerfile"] == ["Dockerfile"] and query["t"] == ["x:1"]
    assert engine.engine.build_headers[0]["Transfer-Encoding"] == "chunked"
    with tarfile.open(fileobj=io.BytesIO(body)) as tf:
        assert "src/m.py" in tf.getnames()
        f = tf.extractfile("blob")
        assert f is not None and f.read() == blob


def test_build_with_an_outside_dockerfile_names_it_in_the_query(
        engine: Harness, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    _tree(ctx)
    (tmp_path / "Other.dockerfile").write_text("FROM busybox\n")
    res = engine.run("build", "-f", str(tmp_path / "Other.dockerfile"), str(ctx))
    assert res.exit_code == 0, res.stderr
    assert "Step 1/1" in res.stdout
    ((_, _, query, body),) = [r for r in engine.engine.requests if r[1] == "/build"]
    assert query["dockerfile"] == [INJECTED]
    with tarfile.open(fileobj=io.BytesIO(body)) as tf:
        f = tf.extractfile(".dockerignore")
        assert f is not None and f.read() == f".dockerignore\n{INJECTED}\n".encode()
    res = engine.run("build", "-f", "-", str(ctx), input="FROM busybox\n")
    assert res.exit_code == 0, res.stderr


def test_build_from_stdin_a_dockerfile_alone_or_a_context_archive(engine: Harness) -> None:
    res = engine.run("build", "-q", "-", input="FROM busybox\nCMD [\"true\"]\n")
    assert res.exit_code == 0, res.stderr
    ((_, _, query, body),) = [r for r in engine.engine.requests if r[1] == "/build"]
    assert query["dockerfile"] == ["Dockerfile"]  # the name the daemon's errors give
    with tarfile.open(fileobj=io.BytesIO(body)) as tf:
        f = tf.extractfile("Dockerfile")
        assert f is not None and f.read() == b'FROM busybox\nCMD ["true"]\n'
        assert tf.getnames() == ["Dockerfile"]
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tf:
        info = tarfile.TarInfo("sub/App.dockerfile")
        info.size = len(b"FROM busybox\n")
        tf.addfile(info, io.BytesIO(b"FROM busybox\n"))
    res = engine.run("build", "-q", "-f", "sub/App.dockerfile", "-", input=archive.getvalue())
    assert res.exit_code == 0, res.stderr
    (_, _, query, body) = [r for r in engine.engine.requests if r[1] == "/build"][-1]
    assert query["dockerfile"] == ["sub/App.dockerfile"] and body == archive.getvalue()


def test_build_cannot_read_both_context_and_dockerfile_from_stdin(engine: Harness) -> None:
    res = engine.run("build", "-f", "-", "-", input="FROM busybox\n")
    assert res.exit_code == 1 and "can't use stdin for both" in res.stderr
    assert not [r for r in engine.engine.requests if r[1] == "/build"]


def test_build_of_a_missing_directory_fails_before_sending(
        engine: Harness, tmp_path: Path) -> None:
    res = engine.run("build", str(tmp_path / "nope"))
    assert res.exit_code == 1 and "not found" in res.stderr
    assert not [r for r in engine.engine.requests if r[1] == "/build"]


def test_build_with_an_invalid_tag_fails_before_sending(
        engine: Harness, tmp_path: Path) -> None:
    _tree(tmp_path)
    res = engine.run("build", "-t", "ok:1", "-t", "Bad:Tag", str(tmp_path))
    assert res.exit_code == 125, res.stderr
    assert 'invalid argument "Bad:Tag" for "-t, --tag" flag: invalid reference format' \
        in res.stderr
    assert not [r for r in engine.engine.requests if r[1] == "/build"]
