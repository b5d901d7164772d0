"""Fuzzing the layer applier: any tar stream (hostile names, links, whiteouts, devices,
truncation, garbage) is applied or refused with one of pallet's error kinds, and nothing
is ever written outside the target directory; an empty target (where files are created
by writer threads, existence known without lstat) ends as a non-empty one would."""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pallet.errors import PalletError
from pallet.oci.layertar import apply_layer

PARTS = ["a", "b", "..", ".", "", ".wh.a", ".wh..wh..opq", ".wh.", "outside", "x" * 120, "é",
         "dev", "etc"]
NAME = st.lists(st.sampled_from(PARTS), min_size=1, max_size=4).map("/".join) | \
    st.sampled_from(["/", "/etc/passwd", "../outside/evil", "/../outside/evil", "./a"])
TARGET = NAME | st.sampled_from(["/", "..", "../outside", "/proc/self/root", "a", ""])
KIND = st.sampled_from([tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE,
                        tarfile.FIFOTYPE, tarfile.CHRTYPE, tarfile.BLKTYPE, b"x"])
MEMBER = st.tuples(NAME, KIND, TARGET, st.integers(0, 0o7777), st.binary(max_size=64),
                   st.dictionaries(st.sampled_from(["SCHILY.xattr.user.a",
                                                    "SCHILY.xattr.security.capability",
                                                    "path", "linkpath", "uid", "size"]),
                                   st.text(max_size=8), max_size=2))


def _tar(members: list[tuple[str, bytes, str, int, bytes, dict[str, str]]],
         cut: int | None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, kind, target, mode, data, pax in members:
            ti = tarfile.TarInfo(name)
            ti.type, ti.mode, ti.mtime = kind, mode, 1_000_000
            ti.linkname = target
            ti.pax_headers = pax
            if kind == tarfile.REGTYPE:
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
            else:
                tf.addfile(ti)
    raw = buf.getvalue()
    return raw if cut is None else raw[:cut]


def _apply(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as base:
        target = Path(base) / "root"
        outside = Path(base) / "outside"
        target.mkdir()
        outside.mkdir()
        try:
            apply_layer(io.BytesIO(raw), target)
        except PalletError:
            pass
        assert os.listdir(outside) == []
        assert sorted(os.listdir(base)) == ["outside", "root"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MEMBER, max_size=6), st.none() | st.integers(0, 4096))
def test_hostile_tars(members: list[tuple[str, bytes, str, int, bytes, dict[str, str]]],
                      cut: int | None) -> None:
    try:
        raw = _tar(members, cut)
    except (ValueError, UnicodeError, tarfile.TarError):
        return  # tarfile itself cannot write this member
    _apply(raw)


def _tree(root: Path) -> dict[str, tuple[int, bool, bytes | str | None]]:
    """Each entry's mode, whether it has the members' mtime (implicit directories get
    the time of the run) and content or target."""
    out: dict[str, tuple[int, bool, bytes | str | None]] = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(dirpath, name)
            st_ = p.lstat()
            what: bytes | str | None = None
            if p.is_symlink():
                what = os.readlink(p)
            elif p.is_file():
                what = p.read_bytes()
            out[str(p.relative_to(root))] = (st_.st_mode, st_.st_mtime == 1_000_000, what)
    return out


def _outcome(raw: bytes, base: Path, lower: bool) -> object:
    target = base / "root"
    target.mkdir()
    if lower:
        (target / "zz-lower").write_bytes(b"")
    try:
        apply_layer(io.BytesIO(raw), target)
    except PalletError as e:
        return type(e)
    tree = _tree(target)
    tree.pop("zz-lower", None)
    return tree


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MEMBER, max_size=6))
@example([("/", tarfile.LNKTYPE, "/", 0, b"", {"path": "\x00"})])  # a NUL name: one error kind
def test_empty_target_ends_as_a_lower_tree_would(
        members: list[tuple[str, bytes, str, int, bytes, dict[str, str]]]) -> None:
    try:
        raw = _tar(members, None)
    except (ValueError, UnicodeError, tarfile.TarError):
        return
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        assert _outcome(raw, Path(a), False) == _outcome(raw, Path(b), True)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2048))
def test_garbage(raw: bytes) -> None:
    _apply(raw)
