"""Exit files and the inotify watcher (no root needed)."""

from __future__ import annotations

import asyncio
import os
import struct
from pathlib import Path

from pallet.runtime.exec import _docker_exit_code
from pallet.runtime.exits import IN_MOVED_TO, ExitWatcher, parse_events, read_exit


def test_read_exit(tmp_path: Path) -> None:
    assert read_exit(tmp_path, "c1") is None
    (tmp_path / "c1").write_text("137")
    assert read_exit(tmp_path, "c1") == 137
    (tmp_path / "c2").write_text("")
    assert read_exit(tmp_path, "c2") is None


def test_parse_events() -> None:
    name = b"abc\0\0\0\0\0"
    buf = struct.pack("iIII", 1, IN_MOVED_TO, 0, len(name)) + name
    assert parse_events(buf * 2) == [(IN_MOVED_TO, "abc"), (IN_MOVED_TO, "abc")]


def test_watcher_sees_rename_and_write(tmp_path: Path) -> None:
    async def main() -> list[str]:
        w = ExitWatcher(tmp_path)
        got = []
        try:
            w._ensure_reader()
            tmp = tmp_path / "c1.AB12CD"
            tmp.write_text("3")
            os.rename(tmp, tmp_path / "c1")
            got.append(await asyncio.wait_for(w.get(), 5))
            (tmp_path / "c2").write_text("0")
            got.append(await asyncio.wait_for(w.get(), 5))
        finally:
            w.close()
        return got

    assert asyncio.run(main()) == ["c1", "c2"]


def test_docker_exit_codes() -> None:
    assert _docker_exit_code(0, b"") == 0
    assert _docker_exit_code(7, b"") == 7
    assert _docker_exit_code(-9, b"") == 137
    assert _docker_exit_code(255, b"executable file `x` not found in $PATH") == 126
    assert _docker_exit_code(255, b'exec: "x": executable file not found in $PATH') == 126
    assert _docker_exit_code(255, b"open executable: Permission denied") == 126
    assert _docker_exit_code(255, b"something else") == 255


def test_monitor_files_outside_the_bundle_are_listed_and_forgotten() -> None:
    import tempfile

    from pallet.runtime.conmon import ConmonRuntime

    with tempfile.TemporaryDirectory(prefix="pl-", dir="/tmp") as d:  # socket paths are short
        base = Path(d)
        rt = ConmonRuntime("/usr/bin/crun", "/usr/bin/conmon", base / "state",
                           base / "exits", base / "s")
        a, b = "a" * 64, "b" * 64
        (base / "exits" / a).write_text("0")
        (base / "exits" / f"{b}.Xy12Zq").write_text("")  # conmon's temp name: not an id
        (base / "s" / b).symlink_to(base)  # conmon's link to the bundle
        (base / "s" / "exec-0123abcd").mkdir()  # an exec's scratch directory
        assert rt.leftover_ids() == {a, b}
        rt.forget(a)
        rt.forget(b)
        assert rt.leftover_ids() == set() and (base / "exits" / f"{b}.Xy12Zq").exists()
