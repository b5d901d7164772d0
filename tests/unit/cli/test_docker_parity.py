"""What a newcomer following a docker guide sees: the CLI's wording, help and
sizes must match the docker CLI's (found by walking the guide against palletd)."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path
from typing import Any

import msgspec
import pytest

from conftest import Harness
from pallet.api.responses import DiskUsage
from pallet.cli.commands.housekeeping import _verbose
from pallet.cli.progress import show
from pallet.cli.tarcopy import extract, make_tar
from pallet.errors import PalletError

HELP_TRAILER = "\n\nRun 'pallet run --help' for more information\n"


def test_run_usage_failures_carry_dockers_help_trailer(engine: Harness) -> None:
    """docker 25+ ``withHelp`` for usage failures: "pallet: MSG", a blank line, "Run '...
    --help'..."; engine failures (create, pull, start) stay one line naming the problem."""
    r = engine.run("run", "--restart", "bogus", "busybox")
    assert r.exit_code == 125
    assert r.stderr.startswith("pallet: invalid restart policy") and r.stderr.endswith(HELP_TRAILER)
    r = engine.run("run", "--pull", "sometimes", "busybox")
    assert r.exit_code == 125 and r.stderr.endswith(HELP_TRAILER)
    r = engine.run("run", "missing/thing", "true")  # create/pull failure
    assert r.exit_code == 125
    assert r.stderr.strip().splitlines()[-1] == "pallet: pull access denied for missing/thing"
    r = engine.run("run", "busybox", "notfound")  # start failure: 127, printed once
    assert r.exit_code == 127 and r.stderr.count("executable file not found") == 1
    assert r.stderr.startswith("pallet: Error response from daemon:")
    assert len(r.stderr.strip().splitlines()) == 1
    r = engine.run("create", "--restart", "bogus", "busybox")
    assert r.exit_code == 125
    assert r.stderr.endswith("\n\nRun 'pallet create --help' for more information\n")


def test_typed_flag_error_is_a_usage_error(engine: Harness) -> None:
    r = engine.run("run", "--memory=12x", "busybox", "true")
    assert r.exit_code == 125
    assert r.stderr.splitlines()[0] == (
        "invalid argument \"12x\" for \"-m, --memory\" flag: invalid size: '12x'")
    assert "Usage:  pallet run [OPTIONS] IMAGE [COMMAND] [ARG...]" in r.stderr
    assert not any(p.endswith("/create") for _, p in engine.calls())


def test_help_command(engine: Harness) -> None:
    """cobra's ``help`` command: ``pallet help`` and ``pallet help run``."""
    r = engine.run("help")
    assert r.exit_code == 0 and r.stdout.startswith("Usage:  pallet [OPTIONS] COMMAND")
    r = engine.run("help", "run")
    assert r.exit_code == 0
    assert r.stdout.startswith("Usage:  pallet run [OPTIONS] IMAGE [COMMAND] [ARG...]")
    r = engine.run("help", "volume", "ls")
    assert r.exit_code == 0 and r.stdout.startswith("Usage:  pallet volume ls [OPTIONS]")
    r = engine.run("help", "nosuch")
    assert r.exit_code == 1 and "unknown help topic: nosuch" in r.stderr


def test_cp_is_quiet_without_a_terminal(engine: Harness, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """docker prints "Successfully copied" only when stdout is a terminal."""
    engine.run("run", "-d", "--name", "web", "busybox", "sleep", "9")
    src = tmp_path / "f.txt"
    src.write_text("x" * 25)
    r = engine.run("cp", str(src), "web:/tmp/f.txt")
    assert r.exit_code == 0 and r.stderr == ""
    monkeypatch.setattr("pallet.cli.commands.cp.is_tty", lambda _stream: True)
    r = engine.run("cp", str(src), "web:/tmp/f.txt")
    assert r.stderr == "Successfully copied 2.05kB to web:/tmp/f.txt\n"  # docker's figure
    r = engine.run("cp", "-q", str(src), "web:/tmp/f.txt")
    assert r.stderr == ""


def test_make_tar_has_no_record_padding_or_pax_times(tmp_path: Path) -> None:
    """Go's tar (docker) writes header + data + two end blocks: 2048 bytes for a
    small file, not Python's 10 KiB record with a PAX mtime header."""
    src = tmp_path / "f"
    src.write_bytes(b"hello")
    os.utime(src, (1_700_000_000.25, 1_700_000_000.75))
    tar = make_tar(str(src), "f")
    data = tar.read()
    assert len(data) == 2048
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        (member,) = tf.getmembers()
        assert member.name == "f" and member.mtime == 1_700_000_000 and not member.pax_headers
        got = tf.extractfile(member)
        assert got is not None and got.read() == b"hello"


def test_extract_returns_the_archive_size(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for name, payload in (("d/a", b"1"), ("d/b", b"2" * 600)):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tf.addfile(info, io.BytesIO(payload))
    assert len(buf.getvalue()) == 10240  # padded to a record: not what docker counts
    buf.seek(0)
    size = extract(buf, str(tmp_path), old_root="d", new_root="d")
    assert size == (512 + 512) + (512 + 1024) + 1024
    assert (tmp_path / "d" / "b").read_bytes() == b"2" * 600


def test_stream_errors_print_without_daemon_prefix() -> None:
    """An error inside a JSON stream (a failed RUN in a build) prints as is, like
    docker's jsonmessage error; "Error response from daemon:" is for failed requests."""
    from pallet.cli.errors import describe

    lines = [b'{"stream":"Step 1/2 : RUN false\\n"}\n',
             b'{"errorDetail":{"message":"The command \'/bin/sh -c false\' returned a '
             b'non-zero code: 1"},"error":"x"}\n']
    out: list[str] = []
    with pytest.raises(PalletError) as info:
        show(iter(lines), out.append)
    assert out == ["Step 1/2 : RUN false\n"]
    assert describe(info.value) == "The command '/bin/sh -c false' returned a non-zero code: 1"


def _image(tags: list[str], size: int, shared: int) -> dict[str, Any]:
    return {"Id": "sha256:" + "ab" * 32, "RepoTags": tags, "Created": 0, "Size": size,
            "SharedSize": shared, "Containers": 1}


def test_df_verbose_shows_first_tag_and_dockers_precision() -> None:
    doc = {"Images": [_image(["app:1", "app:latest"], 1_983_000, 1_000)],
           "Containers": [{"Id": "c" * 64, "Image": "app:1", "Command": "sh", "Created": 0,
                           "State": "exited", "Status": "Exited (0)", "Names": ["/x"],
                           "SizeRw": 4096, "Mounts": []}],
           "Volumes": [], "BuildCache": []}
    text = _verbose(msgspec.convert(doc, DiskUsage), 100.0)
    rows = [line.split() for line in text.splitlines()]
    image_rows = [r for r in rows if r and r[0] == "app"]
    assert len(image_rows) == 1 and image_rows[0][1] == "1"
    assert "1.98MB" in image_rows[0] and "1kB" in image_rows[0] and "1.982MB" in image_rows[0]
    container = next(r for r in rows if r and r[0] == "c" * 12)
    assert "4.1kB" in container


def test_system_prune_prompt_matches_docker(engine: Harness) -> None:
    r = engine.run("system", "prune", input="n\n")
    assert r.exit_code == 0 and r.stdout == (
        "WARNING! This will remove:\n  - all stopped containers\n"
        "  - all networks not used by at least one container\n  - all dangling images\n"
        "  - unused build cache\n\nAre you sure you want to continue? [y/N] ")
    r = engine.run("system", "prune", "--filter", "label=a=b", input="n\n")
    assert r.stdout.endswith(
        "  - unused build cache\n\n  Items to be pruned will be filtered with:\n"
        "  - label=a=b\n\nAre you sure you want to continue? [y/N] ")
    assert not any("prune" in p for _, p in engine.calls())
