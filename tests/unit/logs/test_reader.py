"""read_logs / follow_logs over k8s-file logs."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from pallet.logs import reader
from pallet.logs.k8sfile import LogRecord
from pallet.logs.reader import follow_logs, read_logs


def line(i: int, stream: str = "stdout", tag: str = "F", text: str | None = None) -> bytes:
    ts = f"2026-01-01T00:00:{i // 1000000:02d}.{i % 1000000:06d}000+00:00"
    return f"{ts} {stream} {tag} {text if text is not None else f'line-{i}'}\n".encode()


def ns(i: int) -> int:
    return 1767225600 * 10**9 + (i // 1000000) * 10**9 + (i % 1000000) * 1000


def write(path: Path, rng: range, **kw: str) -> None:
    with open(path, "ab") as f:
        for i in rng:
            f.write(line(i, stream="stderr" if i % 3 == 0 else "stdout"))


def texts(recs: list[LogRecord]) -> list[str]:
    return [r.data.decode().strip() for r in recs]


def test_read_all_and_filters(tmp_path: Path) -> None:
    p = tmp_path / "ctr.log"
    write(p, range(10))
    assert texts(read_logs(p)) == [f"line-{i}" for i in range(10)]
    assert texts(read_logs(p, stderr=False)) == [f"line-{i}" for i in range(10) if i % 3]
    assert texts(read_logs(p, stdout=False)) == ["line-0", "line-3", "line-6", "line-9"]
    assert texts(read_logs(p, since_ns=ns(5))) == [f"line-{i}" for i in range(5, 10)]
    assert texts(read_logs(p, until_ns=ns(2))) == ["line-0", "line-1", "line-2"]
    assert read_logs(p, tail=0) == []
    assert read_logs(tmp_path / "missing.log") == []


def test_tail(tmp_path: Path) -> None:
    p = tmp_path / "ctr.log"
    write(p, range(100))
    assert texts(read_logs(p, tail=3)) == ["line-97", "line-98", "line-99"]
    assert texts(read_logs(p, tail=2, stdout=False)) == ["line-96", "line-99"]
    assert texts(read_logs(p, tail=500)) == [f"line-{i}" for i in range(100)]
    assert texts(read_logs(p, tail=5, since_ns=ns(98))) == ["line-98", "line-99"]


def test_tail_reads_from_the_end(tmp_path: Path) -> None:
    p = tmp_path / "ctr.log"
    write(p, range(200000))  # ~12 MB
    calls: list[int] = []
    real = os.pread

    def counting(fd: int, n: int, off: int) -> bytes:
        calls.append(n)
        return real(fd, n, off)

    mp = pytest.MonkeyPatch()
    mp.setattr(os, "pread", counting)
    try:
        assert texts(read_logs(p, tail=2)) == ["line-199998", "line-199999"]
    finally:
        mp.undo()
    assert sum(calls) < 4 * reader.CHUNK


def test_half_written_last_line_is_skipped(tmp_path: Path) -> None:
    p = tmp_path / "ctr.log"
    write(p, range(3))
    with open(p, "ab") as f:
        f.write(line(3)[:20])
    assert texts(read_logs(p)) == ["line-0", "line-1", "line-2"]
    assert texts(read_logs(p, tail=1)) == ["line-2"]


def test_rotated_files(tmp_path: Path) -> None:
    p = tmp_path / "ctr.log"
    write(Path(f"{p}.2"), range(0, 3))
    write(Path(f"{p}.1"), range(3, 6))
    write(p, range(6, 9))
    assert texts(read_logs(p)) == [f"line-{i}" for i in range(9)]
    assert texts(read_logs(p, tail=4)) == ["line-5", "line-6", "line-7", "line-8"]


def test_partial_records(tmp_path: Path) -> None:
    p = tmp_path / "ctr.log"
    p.write_bytes(line(1, tag="P", text="abc") + line(2, tag="F", text="def"))
    assert b"".join(r.data for r in read_logs(p)) == b"abcdef\n"


def test_follow_new_lines_rotation_and_stop(tmp_path: Path) -> None:
    p = tmp_path / "ctr.log"
    write(p, range(5))
    done = False

    async def producer() -> None:
        nonlocal done
        await asyncio.sleep(0.1)
        write(p, range(5, 8))
        await asyncio.sleep(0.1)
        os.rename(p, f"{p}.1")  # rotation: old file gets a last line, new file appears
        write(Path(f"{p}.1"), range(8, 9))
        write(p, range(9, 12))
        await asyncio.sleep(0.1)
        write(p, range(12, 13))
        done = True

    async def main() -> list[str]:
        task = asyncio.create_task(producer())
        out = [r async for r in follow_logs(p, tail=2, stop=lambda: done, poll_interval=0.02)]
        await task
        return texts(out)

    got = asyncio.run(asyncio.wait_for(main(), 10))
    assert got == [f"line-{i}" for i in range(3, 13)]


def test_follow_until(tmp_path: Path) -> None:
    p = tmp_path / "ctr.log"
    write(p, range(10))

    async def main() -> list[str]:
        recs = [r async for r in follow_logs(p, until_ns=ns(4), stop=lambda: False)]
        return texts(recs)

    assert asyncio.run(asyncio.wait_for(main(), 5)) == [f"line-{i}" for i in range(5)]


def test_follow_missing_file_and_stopped(tmp_path: Path) -> None:
    async def main() -> list[LogRecord]:
        return [r async for r in follow_logs(tmp_path / "nope.log", stop=lambda: True)]

    assert asyncio.run(main()) == []


def _joined(recs: list[LogRecord], stream: int = 1) -> str:
    return b"".join(r.data for r in recs if r.stream == stream).decode()


def test_tail_counts_whole_lines_not_partial_records(tmp_path: Path) -> None:
    """A 30 kB line conmon wrote as 8 kB partial records is one line of the tail, also
    when its pieces straddle a rotation and another stream's lines sit between them."""
    p = tmp_path / "ctr.log"
    big = ["x" * 8192, "y" * 8192, "z" * 8192, "w" * 6000]
    with open(f"{p}.1", "wb") as f:
        f.write(line(1, text="first"))
        f.write(line(2, tag="P", text=big[0]))
        f.write(line(3, tag="P", text=big[1]))
    with open(p, "wb") as f:
        f.write(line(4, stream="stderr", text="err-between"))
        f.write(line(5, tag="P", text=big[2]))
        f.write(line(6, text=big[3]))
        f.write(line(7, text="last"))
        f.write(line(8, tag="P", text="unterminated"))
    assert _joined(read_logs(p, tail=2)) == "last\nunterminated"
    three = read_logs(p, tail=3)
    assert _joined(three) == "".join(big) + "\nlast\nunterminated"
    assert [r for r in three if r.stream == 2] == []  # before the 3rd last line ended
    assert texts([r for r in read_logs(p, tail=4) if r.stream == 2]) == ["err-between"]
    got = read_logs(p, tail=2, stderr=False)
    assert _joined(got) == "last\nunterminated"
    assert _joined(read_logs(p, tail=3, stderr=False)) == "".join(big) + "\nlast\nunterminated"
    assert _joined(read_logs(p, tail=10)) == "first\n" + "".join(big) + "\nlast\nunterminated"
