"""Terminal progress (pull/push): per-layer lines rewritten in place, as a terminal shows
them (a small screen model interprets the cursor movements), and plain lines otherwise."""

from __future__ import annotations

import json
import re

from pallet.cli.progress import show
from pallet.cli.progresslive import Live, bar


def screen(text: str) -> list[str]:
    """What a terminal shows after ``text`` (\\n, \\r, ESC[nA/B, ESC[2K)."""
    rows: list[str] = [""]
    row = col = 0
    i = 0
    while i < len(text):
        m = re.match(r"\x1b\[(\d*)([ABK])", text[i:])
        if m:
            n = int(m.group(1) or 1)
            if m.group(2) == "A":
                row -= n
            elif m.group(2) == "B":
                row += n
            else:
                rows[row] = ""
            i += m.end()
            continue
        ch = text[i]
        if ch == "\n":
            row += 1
            col = 0
        elif ch == "\r":
            col = 0
        else:
            rows[row] = rows[row][:col] + ch + rows[row][col + 1:]
            col += 1
        while len(rows) <= row:
            rows.append("")
        i += 1
    return [r for r in rows if r]


def msgs(*items: dict[str, object]) -> list[bytes]:
    return [json.dumps(m).encode() + b"\n" for m in items]


STREAM = msgs(
    {"status": "The push refers to repository [r/app]"},
    {"status": "Preparing", "progressDetail": {}, "id": "aaa"},
    {"status": "Preparing", "progressDetail": {}, "id": "bbb"},
    {"status": "Pushing", "progressDetail": {"current": 500, "total": 1000}, "id": "aaa"},
    {"status": "Pushed", "progressDetail": {}, "id": "bbb"},
    {"status": "Pushed", "progressDetail": {}, "id": "aaa"},
    {"status": "1: digest: sha256:x size: 9"},
    {"progressDetail": {}, "aux": {"Tag": "1"}},
)


def test_a_terminal_gets_one_line_per_layer_rewritten_in_place() -> None:
    out: list[str] = []
    aux = show(STREAM, out.append, tty=True)
    assert aux == [{"Tag": "1"}]
    assert screen("".join(out)) == [
        "The push refers to repository [r/app]", "aaa: Pushed", "bbb: Pushed",
        "1: digest: sha256:x size: 9"]


def test_mid_way_the_layer_line_shows_its_bar() -> None:
    out: list[str] = []
    show(STREAM[:4], out.append, tty=True)
    shown = screen("".join(out))
    assert shown[1].startswith("aaa: Pushing [=========================>")
    assert "500B/1kB" in shown[1]
    assert shown[2] == "bbb: Preparing"


def test_plain_output_is_a_line_per_message() -> None:
    out: list[str] = []
    show(STREAM, out.append)
    assert "".join(out).splitlines()[1:3] == ["aaa: Preparing", "bbb: Preparing"]
    assert "\x1b" not in "".join(out)


def test_bar_reports_speed_and_time_left() -> None:
    assert bar(50_000_000, 100_000_000, 5.0).endswith("50MB/100MB  10MB/s 5s")
    assert bar(1234, 0, 1.0) == "1.23kB"
    clock = iter([0.0, 2.0])
    out: list[str] = []
    live = Live(out.append, clock=lambda: next(clock))
    live.show({"status": "Downloading", "id": "c",
               "progressDetail": {"current": 0, "total": 10_000_000}})
    live.show({"status": "Downloading", "id": "c",
               "progressDetail": {"current": 4_000_000, "total": 10_000_000}})
    assert screen("".join(out)) == [
        "c: Downloading [====================>                             ]"
        "      4MB/10MB  2MB/s 3s"]
