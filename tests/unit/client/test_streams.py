"""Frame demuxer and JSON-lines reader."""

from __future__ import annotations

import pytest

from pallet.client.streams import (
    FrameDecoder,
    copy_frames,
    demux,
    frame,
    json_lines,
    progress_messages,
)
from pallet.errors import DataCorruption, PalletError


def test_frame_header_layout() -> None:
    assert frame(2, b"hi") == b"\x02\x00\x00\x00\x00\x00\x00\x02hi"


def test_demux_across_arbitrary_chunks() -> None:
    data = frame(1, b"out\n") + frame(2, b"err\n") + frame(1, b"") + frame(1, b"x" * 70000)
    chunks = [data[i : i + 3] for i in range(0, len(data), 3)]
    got = list(demux(chunks))
    assert got[:3] == [(1, b"out\n"), (2, b"err\n"), (1, b"")]
    assert got[3] == (1, b"x" * 70000)


def test_demux_rejects_truncated_and_bad_header() -> None:
    with pytest.raises(DataCorruption):
        list(demux([frame(1, b"abc")[:-1]]))
    with pytest.raises(DataCorruption):
        FrameDecoder().feed(b"\x09\x00\x00\x00\x00\x00\x00\x01a")


def test_copy_frames_routes_streams_and_tty() -> None:
    out: list[bytes] = []
    err: list[bytes] = []
    copy_frames([frame(1, b"a"), frame(2, b"b"), frame(3, b"c")], out.append, err.append)
    assert out == [b"a"] and err == [b"b", b"c"]
    out.clear()
    copy_frames([b"raw bytes"], out.append, err.append, tty=True)
    assert out == [b"raw bytes"]


def test_json_lines() -> None:
    chunks = [b'{"status":"a"}\r\n{"sta', b'tus":"b"}\n\n', b'{"aux":{"ID":"x"}}']
    assert list(json_lines(chunks)) == [{"status": "a"}, {"status": "b"}, {"aux": {"ID": "x"}}]
    assert list(json_lines([b'{"a":1}{"b":2}'])) == [{"a": 1}, {"b": 2}]


def test_progress_messages_raise_the_streams_error_with_its_text() -> None:
    chunks = [b'{"status":"Pulling"}\r\n{"aux":{"ID":"x"}}\n',
              b'{"errorDetail":{"message":"manifest unknown"},"error":"ignored"}\n',
              b'{"status":"never read"}\n']
    got = []
    with pytest.raises(PalletError) as info:
        for msg in progress_messages(chunks):
            got.append(msg)
    assert got == [{"status": "Pulling"}, {"aux": {"ID": "x"}}]
    assert info.value.message == "manifest unknown"
    assert not getattr(info.value, "from_daemon", False)
    with pytest.raises(PalletError, match=r"^boom$"):
        list(progress_messages([b'{"error":"boom"}']))
