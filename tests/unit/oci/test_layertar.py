"""Layer apply: content, metadata, whiteouts, and every escape attempt."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from pallet.errors import DataCorruption, InvalidArgument
from pallet.oci.digest import sha256_bytes
from pallet.oci.layertar import apply_layer

ROOT = os.geteuid() == 0


def make_tar(entries: list[tuple], gz: bool = False) -> bytes:
    """entries: (name, kind, data_or_target, mode) with kind in f,d,l,h,c,p."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for e in entries:
            name, kind = e[0], e[1]
            arg = e[2] if len(e) > 2 else None
            ti = tarfile.TarInfo(name)
            ti.mtime = 1_000_000
            ti.mode = e[3] if len(e) > 3 else (0o755 if kind == "d" else 0o644)
            if len(e) > 4:
                ti.pax_headers = e[4]
            if kind == "f":
                data = arg or b""
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
                continue
            ti.type = {
                "d": tarfile.DIRTYPE,
                "l": tarfile.SYMTYPE,
                "h": tarfile.LNKTYPE,
                "c": tarfile.CHRTYPE,
                "p": tarfile.FIFOTYPE,
            }[kind]
            if kind in ("l", "h"):
                ti.linkname = arg
            if kind == "c":
                ti.devmajor, ti.devminor = arg
            tf.addfile(ti)
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0) if gz else raw


def apply(tmp: Path, data: bytes, **kw):  # type: ignore[no-untyped-def]
    return apply_layer(io.BytesIO(data), tmp, **kw)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "root"
    r.mkdir()
    return r


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    o = tmp_path / "outside"
    o.mkdir()
    (o / "secret").write_text("keep")
    return o


def test_basic_content_modes_links_and_diff_id(root: Path) -> None:
    data = make_tar(
        [
            ("./bin", "d"),
            ("bin/busybox", "f", b"ELF" * 1000, 0o4755),
            ("bin/sh", "l", "/bin/busybox"),
            ("bin/ash", "h", "bin/busybox"),
            ("etc/", "d", None, 0o700),
            ("etc/passwd", "f", b"root:x:0:0\n"),
            ("tmp", "d", None, 0o1777),
            ("run/fifo", "p"),
        ]
    )
    res = apply(root, data)
    assert res.diff_id == sha256_bytes(data)
    assert res.tar_size == len(data)
    bb = root / "bin/busybox"
    assert bb.read_bytes() == b"ELF" * 1000
    assert stat.S_IMODE(bb.stat().st_mode) == 0o4755
    assert os.readlink(root / "bin/sh") == "/bin/busybox"
    assert (root / "bin/ash").stat().st_ino == bb.stat().st_ino
    assert stat.S_IMODE((root / "etc").stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "tmp").stat().st_mode) == 0o1777
    assert stat.S_ISFIFO((root / "run/fifo").lstat().st_mode)
    assert int(bb.stat().st_mtime) == 1_000_000
    assert int((root / "etc").stat().st_mtime) == 1_000_000


def test_gzip_layer_diff_id_is_of_uncompressed(root: Path) -> None:
    raw = make_tar([("a", "f", b"x")])
    res = apply(root, gzip.compress(raw, mtime=0))
    assert res.diff_id == sha256_bytes(raw)
    assert (root / "a").read_bytes() == b"x"


def test_whiteout_and_opaque_in_delete_mode(root: Path) -> None:
    apply(
        root,
        make_tar(
            [
                ("d/keep", "f", b"1"),
                ("d/gone", "f", b"2"),
                ("o/old", "f", b"3"),
                ("o/sub/old2", "f", b"4"),
                ("rmdir/x", "f", b"5"),
            ]
        ),
    )
    apply(
        root,
        make_tar(
            [
                ("d/.wh.gone", "f"),
                ("o/", "d"),
                ("o/.wh..wh..opq", "f"),
                ("o/new", "f", b"n"),
                (".wh.rmdir", "f"),
            ]
        ),
    )
    assert (root / "d/keep").exists()
    assert not (root / "d/gone").exists()
    assert not (root / "d/.wh.gone").exists()
    assert sorted(os.listdir(root / "o")) == ["new"]
    assert not (root / "rmdir").exists()


def test_opaque_keeps_entries_of_same_layer_listed_before_marker(root: Path) -> None:
    apply(root, make_tar([("o/old", "f", b"3")]))
    apply(root, make_tar([("o/new", "f", b"n"), ("o/.wh..wh..opq", "f")]))
    assert sorted(os.listdir(root / "o")) == ["new"]


def test_replace_dir_by_file_and_file_by_dir(root: Path) -> None:
    apply(root, make_tar([("x/y", "f", b"1"), ("z", "f", b"2")]))
    apply(root, make_tar([("x", "f", b"file"), ("z/", "d"), ("z/in", "f", b"3")]))
    assert (root / "x").read_bytes() == b"file"
    assert (root / "z/in").read_bytes() == b"3"


def test_xattrs_kept_overlay_xattrs_dropped(root: Path) -> None:
    hdr = {"SCHILY.xattr.user.test": "hello", "SCHILY.xattr.trusted.overlay.redirect": "/x"}
    apply(root, make_tar([("f", "f", b"1", 0o644, hdr)]))
    try:
        assert os.getxattr(root / "f", "user.test") == b"hello"
    except OSError:
        pytest.skip("filesystem without user xattrs")
    assert "trusted.overlay.redirect" not in os.listxattr(root / "f")


@pytest.mark.skipif(not ROOT, reason="needs root")
def test_owners_and_device_nodes_as_root(root: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        ti = tarfile.TarInfo("owned")
        ti.uid, ti.gid, ti.mode, ti.size = 1234, 5678, 0o2755, 0
        tf.addfile(ti, io.BytesIO())
        dv = tarfile.TarInfo("dev/null")
        dv.type, dv.devmajor, dv.devminor, dv.mode = tarfile.CHRTYPE, 1, 3, 0o666
        tf.addfile(dv)
    apply(root, buf.getvalue())
    st = (root / "owned").stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 5678, 0o2755)
    dst = (root / "dev/null").lstat()
    assert stat.S_ISCHR(dst.st_mode) and os.major(dst.st_rdev) == 1 and os.minor(dst.st_rdev) == 3
    assert stat.S_IMODE(dst.st_mode) == 0o666


@pytest.mark.skipif(not ROOT, reason="needs root")
def test_overlay_mode_writes_overlay_whiteouts(root: Path) -> None:
    apply(
        root,
        make_tar([("d/.wh.gone", "f"), ("o/", "d"), ("o/.wh..wh..opq", "f")]),
        whiteouts="overlay",
    )
    st = (root / "d/gone").lstat()
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
    assert os.getxattr(root / "o", "trusted.overlay.opaque") == b"y"


def test_skip_filter(root: Path) -> None:
    apply(
        root,
        make_tar([("dev/", "d"), ("dev/console", "f", b"x"), ("etc/a", "f", b"1")]),
        skip=lambda p: p.startswith("dev/"),
    )
    assert (root / "dev").is_dir() and not (root / "dev/console").exists()
    assert (root / "etc/a").exists()


# -- escapes -----------------------------------------------------------------


def test_escape_absolute_path_is_neutralised(root: Path, outside: Path) -> None:
    apply(root, make_tar([(str(outside / "secret"), "f", b"pwned")]))
    assert (outside / "secret").read_text() == "keep"
    assert (root / str(outside).lstrip("/") / "secret").read_bytes() == b"pwned"


def test_escape_dotdot_rejected(root: Path, outside: Path) -> None:
    with pytest.raises(InvalidArgument, match="escapes"):
        apply(root, make_tar([("../outside/secret", "f", b"pwned")]))
    with pytest.raises(InvalidArgument, match="escapes"):
        apply(root, make_tar([("a/../../outside/secret", "f", b"pwned")]))
    assert (outside / "secret").read_text() == "keep"


def test_escape_through_symlink_planted_by_earlier_entry(root: Path, outside: Path) -> None:
    inner = str(outside).lstrip("/")
    apply(
        root,
        make_tar(
            [
                (f"{inner}/", "d"),
                ("evil", "l", str(outside)),
                ("evil/secret", "f", b"pwned"),
                ("rel", "l", "../../../../../../.." + str(outside)),
                ("rel/new", "f", b"pwned"),
            ]
        ),
    )
    assert (outside / "secret").read_text() == "keep"
    assert sorted(os.listdir(outside)) == ["secret"]
    # resolved inside the root, as a chroot would
    assert (root / inner / "secret").read_bytes() == b"pwned"
    assert (root / inner / "new").read_bytes() == b"pwned"


def test_escape_through_dangling_planted_symlink_is_rejected(root: Path, outside: Path) -> None:
    with pytest.raises(InvalidArgument):
        apply(root, make_tar([("evil", "l", str(outside)), ("evil/secret", "f", b"pwned")]))
    with pytest.raises(InvalidArgument):
        apply(root, make_tar([("evil2", "l", str(outside)), ("evil2/new/x", "f", b"pwned")]))
    assert (outside / "secret").read_text() == "keep"
    assert sorted(os.listdir(outside)) == ["secret"]


def test_escape_through_symlink_in_lower_tree(root: Path, outside: Path) -> None:
    os.symlink(outside, root / "lower")
    os.symlink("../../../../../../../../etc", root / "lower2")
    with pytest.raises(InvalidArgument):
        apply(root, make_tar([("lower/secret", "f", b"pwned")]))
    with pytest.raises(InvalidArgument):
        apply(root, make_tar([("lower/x/y", "f", b"pwned")]))
    apply(root, make_tar([("etc/", "d"), ("lower2/passwd", "f", b"inside")]))
    assert (root / "etc/passwd").read_bytes() == b"inside"
    assert (outside / "secret").read_text() == "keep"
    assert sorted(os.listdir(outside)) == ["secret"]


def test_escape_final_component_symlink_is_replaced_not_followed(root: Path, outside: Path) -> None:
    os.symlink(outside / "secret", root / "target")
    apply(root, make_tar([("target", "f", b"pwned")]))
    assert (outside / "secret").read_text() == "keep"
    assert not (root / "target").is_symlink()
    assert (root / "target").read_bytes() == b"pwned"


def test_escape_hardlink_outside_rejected_or_contained(root: Path, outside: Path) -> None:
    with pytest.raises(InvalidArgument):
        apply(root, make_tar([("h", "h", "../outside/secret")]))
    with pytest.raises(InvalidArgument):  # absolute: resolved inside the root, where it is absent
        apply(root, make_tar([("h", "h", str(outside / "secret"))]))
    # through a planted symlink: resolves inside the root, never to the real file
    with pytest.raises(InvalidArgument):
        apply(root, make_tar([("s", "l", str(outside)), ("h", "h", "s/secret")]))
    assert os.stat(outside / "secret").st_nlink == 1
    assert (outside / "secret").read_text() == "keep"


def test_hardlink_to_symlink_links_the_symlink_itself(root: Path, outside: Path) -> None:
    apply(root, make_tar([("s", "l", str(outside / "secret")), ("h", "h", "s")]))
    assert os.readlink(root / "h") == str(outside / "secret")
    assert os.stat(outside / "secret").st_nlink == 1


@pytest.mark.parametrize("fresh", [True, False], ids=["empty-target", "lower-tree"])
@pytest.mark.parametrize("mode", ["delete", "overlay"] if ROOT else ["delete"])
def test_escape_dir_replaced_by_symlink_mid_layer(
    root: Path, outside: Path, fresh: bool, mode: str
) -> None:
    """Directory fds cached while ``d`` was a directory must not outlive its replacement
    by a symlink: what follows under ``d/`` resolves through the symlink, inside the root."""
    if not fresh:
        (root / "lower").write_text("x")
    inner = str(outside).lstrip("/")
    apply(
        root,
        make_tar(
            [
                (f"{inner}/", "d"),
                ("d/", "d"),
                ("d/sub/", "d"),
                ("d/x", "f", b"1"),
                ("d/sub/x", "f", b"1"),
                ("d", "l", str(outside)),
                ("d/y", "f", b"pwned"),
                ("d/sub/z", "f", b"pwned"),
            ]
        ),
        whiteouts=mode,
    )
    assert sorted(os.listdir(outside)) == ["secret"]
    assert (outside / "secret").read_text() == "keep"
    assert os.readlink(root / "d") == str(outside)
    assert (root / inner / "y").read_bytes() == b"pwned"
    assert (root / inner / "sub/z").read_bytes() == b"pwned"
    assert sorted(os.listdir(root / inner)) == ["sub", "y"]


def test_replacements_within_one_layer(root: Path) -> None:
    entries = [("x/y", "f", b"1"), ("x", "f", b"file"), ("z", "f", b"2"), ("z/", "d"),
               ("z/in", "f", b"3"), ("s", "l", "x"), ("s", "f", b"now a file"),
               ("dup", "f", b"old"), ("dup", "f", b"new")]
    apply(root, make_tar(entries))
    assert (root / "x").read_bytes() == b"file"
    assert (root / "z/in").read_bytes() == b"3"
    assert not (root / "s").is_symlink() and (root / "s").read_bytes() == b"now a file"
    assert (root / "dup").read_bytes() == b"new"


def test_modes_the_umask_would_strip_are_set(root: Path) -> None:
    old = os.umask(0o027)
    try:
        apply(root, make_tar([("open/", "d", None, 0o777), ("open/w", "f", b"", 0o666),
                              ("t/", "d", None, 0o1777), ("x", "f", b"", 0o6755)]))
    finally:
        os.umask(old)
    assert stat.S_IMODE((root / "open").stat().st_mode) == 0o777
    assert stat.S_IMODE((root / "open/w").stat().st_mode) == 0o666
    assert stat.S_IMODE((root / "t").stat().st_mode) == 0o1777
    assert stat.S_IMODE((root / "x").stat().st_mode) == 0o6755


@pytest.mark.skipif(not ROOT, reason="needs root")
def test_owner_set_under_a_setgid_target(root: Path) -> None:
    """A new inode in a setgid directory takes the directory's group: a member owned by
    0:0 is chowned back even though 0:0 is who creates it."""
    os.chown(root, 0, 5678)
    os.chmod(root, 0o2775)
    apply(root, make_tar([("f", "f", b"1"), ("d/", "d"), ("d/g", "f", b"2")]))
    for p in ("f", "d", "d/g"):
        st = (root / p).stat()
        assert (st.st_uid, st.st_gid) == (0, 0), p
    assert stat.S_IMODE((root / "d").stat().st_mode) == 0o755  # not the inherited setgid


def test_whiteout_through_symlink_cannot_delete_outside(root: Path, outside: Path) -> None:
    apply(root, make_tar([("s", "l", str(outside)), ("s/.wh.secret", "f")]))
    assert (outside / "secret").exists()


def test_truncated_and_garbage_layers(root: Path) -> None:
    data = make_tar([("big", "f", os.urandom(100_000))])
    with pytest.raises(DataCorruption):
        apply(root, data[:50_000])
    with pytest.raises(DataCorruption):
        apply(root, gzip.compress(data)[:2000])


def test_fuzz_findings_are_refused_as_bad_entries(root: Path) -> None:
    """Found by tests/unit/fuzz: an empty symlink target and an xattr value the kernel
    refuses were OSErrors (a 500); they are bad layer entries."""
    with pytest.raises(InvalidArgument, match="symlink with no target"):
        apply(root, make_tar([("a", "l", "")]))
    bad_cap = {"SCHILY.xattr.security.capability": ""}
    if ROOT:
        with pytest.raises(InvalidArgument, match="invalid value for xattr"):
            apply(root, make_tar([("f", "f", b"1", 0o644, bad_cap)]))
