"""``--progress``: the modes Compose v2 accepts, refuses, and what each one prints."""

from __future__ import annotations

import io
import json

import pytest

from pallet.compose.errors import ComposeError
from pallet.compose.progress import Progress, mode_of


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("progress", "ansi", "terminal", "mode"), [
    ("", "auto", False, "plain"),
    ("", "auto", True, "tty"),
    ("auto", "auto", True, "tty"),
    ("auto", "never", True, "plain"),
    ("", "always", False, "tty"),
    ("tty", "auto", False, "tty"),
    ("plain", "auto", True, "plain"),
    ("plain", "never", True, "plain"),
    ("json", "always", True, "json"),
    ("quiet", "auto", True, "quiet"),
    ("none", "auto", False, "quiet"),
])
def test_progress_mode(progress: str, ansi: str, terminal: bool, mode: str) -> None:
    out = Tty() if terminal else io.StringIO()
    assert mode_of(progress, ansi, out) == mode


@pytest.mark.parametrize(("progress", "ansi", "message"), [
    ("bogus", "auto", 'unsupported --progress value "bogus"'),
    ("tty", "never", "can't use --progress tty while ANSI support is disabled"),
    ("plain", "always", "can't use --progress plain while ANSI support is forced"),
])
def test_progress_values_compose_v2_refuses(progress: str, ansi: str, message: str) -> None:
    with pytest.raises(ComposeError) as err:
        mode_of(progress, ansi, io.StringIO())
    assert str(err.value) == message


def test_json_mode_writes_one_object_per_event_and_warning() -> None:
    out = io.StringIO()
    progress = Progress(out, mode="json", dry_run=True)
    progress.event("Container", "p-web-1", "Started")
    progress.warn("careful")
    event, warning = (json.loads(line) for line in out.getvalue().splitlines())
    assert event == {"dry-run": True, "id": "Container p-web-1", "status": "Started"}
    assert warning["level"] == "warning" and warning["msg"] == "careful"
    assert warning["time"].endswith("Z")


def test_quiet_mode_writes_nothing() -> None:
    out = io.StringIO()
    progress = Progress(out, mode="quiet")
    progress.event("Network", "p_default", "Created")
    progress.warn("careful")
    assert out.getvalue() == "" and len(progress.lines) == 2


def test_tty_mode_redraws_one_block_with_a_line_per_object() -> None:
    out = io.StringIO()
    progress = Progress(out, mode="tty")
    progress.event("Network", "p_default", "Creating")
    progress.event("Network", "p_default", "Created")
    progress.event("Container", "p-web-1", "Starting")
    progress.warn("careful")
    progress.event("Container", "p-web-1", "Started")
    text = out.getvalue()
    final = text[text.rindex("[+] Running"):]
    assert final.startswith("[+] Running 2/2")  # everything done
    rows = final.splitlines()[1:3]
    assert "Network p_default  " in rows[0] and "Created" in rows[0]
    assert "Container p-web-1  " in rows[1] and "Started" in rows[1]
    assert all("✔" in r for r in rows)
    # the warning went above the block, which was drawn again under it
    assert text.index("careful") < text.rindex("[+] Running")
    assert "\x1b[3A" in text  # moved back over the title and both lines
    assert "[+] Running 1/2" in text  # the container was still starting
