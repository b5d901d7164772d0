"""TarMembers gives what tarfile's stream mode gives: the same members, the same content,
tarfile itself for the rare formats, an error for a stream cut short."""

from __future__ import annotations

import io
import tarfile

import pytest

from pallet.oci import tarmembers
from pallet.oci.tarmembers import TarMembers

FIELDS = ("name", "mode", "uid", "gid", "size", "mtime", "type", "linkname", "uname",
          "gname", "devmajor", "devminor", "pax_headers")


def _info(name: str, kind: bytes = tarfile.REGTYPE, size: int = 0,
          **kw: object) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.type, ti.size, ti.mtime, ti.uid, ti.gid = kind, size, 1_700_000_000, 1000, 100
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti


def _tar(members: list[tuple[tarfile.TarInfo, bytes]], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for ti, data in members:
            tf.addfile(ti, io.BytesIO(data) if ti.isreg() else None)
    return buf.getvalue()


View = list[tuple[tuple[object, ...], bytes]]


def _tarfile_view(raw: bytes) -> View:
    out = []
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r|") as tf:
        for m in tf:
            f = tf.extractfile(m) if m.isreg() else None
            out.append((tuple(getattr(m, k) for k in FIELDS), f.read() if f else b""))
    return out


def _ours(raw: bytes, chunk: int, pieces: bool = False) -> tuple[View, TarMembers]:
    tm = TarMembers(io.BytesIO(raw), chunk=chunk)
    out = []
    for m in tm:
        data = b""
        if m.isreg():
            data = b"".join(tm.chunks(m)) if pieces else tm.data(m)
        out.append((tuple(getattr(m, k) for k in FIELDS), data))
    return out, tm


LONG = "d/" + "x" * 150 + "/" + "y" * 120
SAMPLES = {
    "ustar": ([(_info("etc", tarfile.DIRTYPE, mode=0o755), b""),
               (_info("etc/passwd", size=5, mode=0o644), b"root\n"),
               (_info("usr/" + "p" * 90 + "/" + "n" * 90, size=3), b"abc"),  # prefix field
               (_info("bin/sh", tarfile.SYMTYPE, linkname="dash"), b""),
               (_info("bin/ln", tarfile.LNKTYPE, linkname="etc/passwd"), b""),
               (_info("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3), b""),
               (_info("big", size=69_892), bytes(range(256)) * 273 + b"tail")],
              tarfile.USTAR_FORMAT),
    "gnu": ([(_info(LONG, size=4), b"long"),
             (_info("lnk", tarfile.SYMTYPE, linkname="/" + "t" * 200), b""),
             (_info(LONG + "/dir", tarfile.DIRTYPE), b""),
             (_info("huge-uid", uid=8 ** 8), b"")], tarfile.GNU_FORMAT),
    "pax": ([(_info("caf\u00e9/\u00fc", size=2, pax_headers={"SCHILY.xattr.user.k": "v"}), b"hi"),
             (_info(LONG, size=1), b"z"),
             (_info("t", mtime=1.5), b""),
             (_info("lnk", tarfile.LNKTYPE, linkname=LONG), b""),
             (_info("o", uname="u" * 40), b"")], tarfile.PAX_FORMAT),
}


@pytest.mark.parametrize("sample", sorted(SAMPLES))
@pytest.mark.parametrize("chunk", [1, 512, 700, 1 << 20])
def test_members_and_content_equal_tarfiles(sample: str, chunk: int) -> None:
    raw = _tar(*SAMPLES[sample])
    ours, tm = _ours(raw, chunk, pieces=chunk == 700)
    assert ours == _tarfile_view(raw)
    assert tm.tarfile is None  # no hand-over for these formats


def test_unread_content_is_skipped() -> None:
    raw = _tar([(_info("a", size=3000), b"a" * 3000), (_info("b", size=1), b"b")])
    assert [m.name for m in TarMembers(io.BytesIO(raw), chunk=1000)] == ["a", "b"]


def test_a_global_pax_header_hands_the_rest_to_tarfile() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT,
                      pax_headers={"comment": "git"}) as tf:
        for name in ("a", "b"):
            tf.addfile(_info(name, size=1), io.BytesIO(name.encode()))
    raw = buf.getvalue()
    ours, tm = _ours(raw, 4096)
    assert ours == _tarfile_view(raw)
    assert tm.tarfile is not None


def test_an_unknown_type_has_its_content_skipped_as_tarfile_does() -> None:
    raw = _tar([(_info("odd", b"Z", size=600), b""), (_info("next", size=1), b"n")],
               tarfile.USTAR_FORMAT)
    raw = raw[:512] + b"z" * 600 + bytes(424) + raw[512:]  # tarfile wrote none for Z
    ours, _ = _ours(raw, 512)
    assert ours == _tarfile_view(raw)
    assert [fields[0] for fields, _ in ours] == ["odd", "next"]


def test_a_signed_checksum_is_accepted_as_by_tarfile() -> None:
    raw = bytearray(_tar([(_info("\u00e9", size=1), b"x")], tarfile.USTAR_FORMAT))
    high = sum(1 for b in raw[:512] if b >= 128)
    assert high  # the name has bytes with the high bit set
    raw[148:156] = b"%06o\0 " % (256 + sum(raw[:148]) + sum(raw[156:512]) - 256 * high)
    ours, _ = _ours(bytes(raw), 4096)
    assert ours == _tarfile_view(bytes(raw))
    assert len(ours) == 1


def test_a_damaged_header_after_the_first_ends_the_archive_as_in_tarfile() -> None:
    raw = bytearray(_tar([(_info("a", size=1), b"a"), (_info("b", size=1), b"b")],
                         tarfile.USTAR_FORMAT))
    raw[1024 + 148] ^= 1  # the second header's checksum
    ours, _ = _ours(bytes(raw), 4096)
    assert ours == _tarfile_view(bytes(raw))
    assert [fields[0] for fields, _ in ours] == ["a"]
    raw[148] ^= 1  # the first header damaged: an error
    with pytest.raises(tarfile.ReadError):
        list(TarMembers(io.BytesIO(bytes(raw))))
    with pytest.raises(tarfile.ReadError):
        _tarfile_view(bytes(raw))


@pytest.mark.parametrize("cut", [0, 100, 512 + 5, 1536 + 100])
def test_a_stream_cut_short_in_the_first_member_or_in_content_is_an_error(cut: int) -> None:
    raw = _tar([(_info("a", size=10), b"0123456789"), (_info("b", size=600), b"b" * 600)],
               tarfile.USTAR_FORMAT)[:cut]
    with pytest.raises(tarfile.ReadError):
        for m in (tm := TarMembers(io.BytesIO(raw))):
            if m.isreg():
                tm.data(m)


def test_the_end_of_archive_ends_the_members() -> None:
    raw = _tar([(_info("a", size=1), b"a")]) + b"trailing garbage"
    assert [m.name for m in TarMembers(io.BytesIO(raw))] == ["a"]


def test_a_stream_cut_inside_a_later_header_ends_as_in_tarfile() -> None:
    raw = _tar([(_info("a", size=1), b"a"), (_info("b", size=1), b"b")], tarfile.USTAR_FORMAT)
    cut = raw[:1024 + 300]
    assert [m.name for m in TarMembers(io.BytesIO(cut))] == ["a"]
    assert [fields[0] for fields, _ in _tarfile_view(cut)] == ["a"]


def test_an_oversized_extended_header_is_refused() -> None:
    pax = _info("x" * 10, tarfile.XHDTYPE, size=(1 << 20) + 1)
    raw = pax.tobuf(tarfile.USTAR_FORMAT) + bytes((1 << 20) + 512)
    with pytest.raises(tarfile.ReadError, match="extended header"):
        list(TarMembers(io.BytesIO(raw)))


NTI = getattr(tarfile, "nti")  # noqa: B009 - not in typeshed


@pytest.mark.parametrize(("field", "value"), [
    (b"0000644\0", 0o644), (b" 644 \0\0", 0o644), (bytes(8), 0), (b" " * 8, 0),
    (b"1_0\0    ", 8),  # int()'s underscore, as tarfile's int(..., 8) reads it
    (b"\x1c17\0    ", 15), (b"\x1c\x1c\0     ", 0),  # str.strip() drops \x1c-\x1f
    (b"\t17\n\0    ", 15),
    (b"\x80\0\0\0\0\0\x01\0", 256), (b"\xff" * 8, -1),  # base-256, positive and negative
])
def test_number_fields_read_as_tarfile_reads_them(field: bytes, value: int) -> None:
    assert tarmembers._number(field) == value
    assert NTI(field) == value  # the expected values are tarfile's own reading


@pytest.mark.parametrize("field", [b"12a\0    ", b"\xe9\0      ", b"9\0      "])
def test_number_fields_tarfile_refuses_are_refused(field: bytes) -> None:
    with pytest.raises(tarfile.HeaderError):
        NTI(field)
    with pytest.raises(tarmembers._Invalid):
        tarmembers._number(field)


def test_the_byte_sum_of_a_block() -> None:
    for block in (bytes(512), b"\xff" * 512, bytes(range(256)) * 2):
        assert tarmembers._byte_sum(block) == sum(block)


def test_a_directory_named_by_its_prefix_alone_loses_the_slash_as_in_tarfile() -> None:
    ti = _info("", tarfile.DIRTYPE)
    block = bytearray(ti.tobuf(tarfile.USTAR_FORMAT))
    block[345:350] = b"p/q/\0"
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    raw = bytes(block) + bytes(1024)
    ours, _ = _ours(raw, 4096)
    assert ours == _tarfile_view(raw)
    assert ours[0][0][0] == "p/q"


def _long_name(name: bytes) -> bytes:
    head = _info("././@LongLink", tarfile.GNUTYPE_LONGNAME, size=len(name))
    return head.tobuf(tarfile.USTAR_FORMAT) + name + bytes(-len(name) % 512)


def test_a_chain_of_extended_headers_is_refused_before_it_grows() -> None:
    member = _info("a").tobuf(tarfile.USTAR_FORMAT) + bytes(1024)
    raw = _long_name(b"n") * 2000 + member  # tarfile: a RecursionError
    with pytest.raises(tarfile.ReadError, match="extended headers for one member"):
        list(TarMembers(io.BytesIO(raw)))
    big = _long_name(b"n" * (tarmembers.MAX_EXTENSION // 2))
    with pytest.raises(tarfile.ReadError, match="extended headers of"):
        list(TarMembers(io.BytesIO(big * 3 + member)))
    few = _long_name(b"x") + _long_name(b"b") * 3 + member
    ours, _ = _ours(few, 4096)
    assert ours == _tarfile_view(few)
    assert ours[0][0][0] == "x"  # the first long name wins, as in tarfile


def _pax_member(records: bytes) -> bytes:
    pax = _info("././@PaxHeader", tarfile.XHDTYPE, size=len(records))
    return (pax.tobuf(tarfile.USTAR_FORMAT) + records + bytes(-len(records) % 512)
            + _info("a").tobuf(tarfile.USTAR_FORMAT) + bytes(1024))


def test_pax_records_are_read_by_their_length_in_linear_time() -> None:
    # "2 " * n + "a=": each pattern match scanned to the one "=" (quadratic: ~7 s here)
    many = b"2 " * ((tarmembers.MAX_EXTENSION - 4) // 2) + b"a="
    with pytest.raises(tarfile.ReadError, match="invalid header"):
        list(TarMembers(io.BytesIO(_pax_member(many))))
    raw = _tar([(_info("a", pax_headers={"path": "b", "uname": "été", "uid": "42"}), b"")])
    ours, _ = _ours(raw, 4096)
    assert ours == _tarfile_view(raw)
    assert ours[0][0][:4] == ("b", 0o644, 42, 100)


@pytest.mark.parametrize("records", [b"0 a=b\n", b"4 a=\n", b"6 a=bc", b"6 ab c\n",
                                     b"6 =bc\n", b"99 a=b\n", b"x6 a=b\n", b"7 a=b\nx",
                                     b"11 path=b\nzz"])
def test_a_badly_framed_pax_record_is_an_invalid_header(records: bytes) -> None:
    with pytest.raises(tarfile.ReadError, match="invalid header"):
        list(TarMembers(io.BytesIO(_pax_member(records))))
