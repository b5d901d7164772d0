"""Log rotation files and policies (no conmon: the files only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pallet.engine.logwatch import MIN_POLL, next_check_in
from pallet.errors import InvalidArgument
from pallet.logs.reader import read_logs
from pallet.logs.rotate import (
    LogPolicy,
    disk_usage,
    drop_excess,
    parse_policy,
    rotate,
    use_null_log,
)


@pytest.mark.parametrize(("driver", "opts", "want"), [
    (None, None, LogPolicy("json-file", 0, 1)),
    ("json-file", {"max-size": "1k", "max-file": "3"}, LogPolicy("json-file", 1024, 3)),
    ("k8s-file", {"max-size": "10m"}, LogPolicy("k8s-file", 10 << 20, 1)),
    ("local", {}, LogPolicy("local", 20 << 20, 5)),
    ("local", {"max-size": "1m", "max-file": "2"}, LogPolicy("local", 1 << 20, 2)),
    ("none", {}, LogPolicy("none", 0, 1)),
    ("json-file", {"max-size": "-1"}, LogPolicy("json-file", 0, 1)),
    ("json-file", {"max-file": "3"}, LogPolicy("json-file", 0, 3)),  # no max-size: no rotation
])
def test_parse_policy(driver: str | None, opts: dict[str, str] | None, want: LogPolicy) -> None:
    assert parse_policy(driver, opts) == want


@pytest.mark.parametrize(("driver", "opts"), [
    ("journald", {}), ("json-file", {"max-file": "0", "max-size": "1k"}),
    ("json-file", {"max-size": "lots"}),
    ("json-file", {"bogus": "1"}),
])
def test_parse_policy_refuses(driver: str, opts: dict[str, str]) -> None:
    with pytest.raises(InvalidArgument):
        parse_policy(driver, opts)


def _line(i: int) -> bytes:
    return f"2024-01-01T00:00:{i:02d}.000000000Z stdout F line {i}\n".encode()


def test_rotate_shifts_and_keeps_max_file(tmp_path: Path) -> None:
    log = tmp_path / "ctr.log"
    for i in range(6):
        log.write_bytes(_line(i))
        rotate(log, 3)  # as the watcher does: rotate, reopen, then drop the excess
        drop_excess(log, 3)
    log.write_bytes(_line(6))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["ctr.log", "ctr.log.1", "ctr.log.2"]
    # the reader goes across the rotated files, oldest first
    assert [r.data for r in read_logs(log)] == [b"line 4\n", b"line 5\n", b"line 6\n"]
    assert [r.data for r in read_logs(log, tail=2)] == [b"line 5\n", b"line 6\n"]
    assert disk_usage(log) == sum(p.stat().st_size for p in tmp_path.iterdir())


def test_max_file_one_keeps_only_the_live_file(tmp_path: Path) -> None:
    log = tmp_path / "ctr.log"
    log.write_bytes(_line(1))
    rotate(log, 1)
    assert (tmp_path / "ctr.log.1").exists()  # until conmon reopened
    drop_excess(log, 1)
    assert list(tmp_path.iterdir()) == []


def test_none_driver_logs_to_dev_null(tmp_path: Path) -> None:
    log = tmp_path / "ctr.log"
    log.write_bytes(b"old")
    use_null_log(log)
    assert log.is_symlink() and str(log.readlink()) == "/dev/null"


def test_busy_logs_are_looked_at_sooner() -> None:
    assert next_check_in(0, 0.0, 1 << 20, 1.0) == 1.0  # quiet
    fast = next_check_in(0, 20e6, 1 << 20, 1.0)       # 20 MB/s, 1 MiB room
    assert MIN_POLL <= fast < 0.05
    assert next_check_in(1 << 20, 20e6, 1 << 20, 1.0) == MIN_POLL


def test_daemon_default_opts_apply_under_the_containers_own() -> None:
    from pallet.api.models import LogConfig
    from pallet.engine.logwatch import effective_opts

    defaults = {"max-size": "20m", "max-file": "5"}
    assert effective_opts(None, "json-file", defaults) == ("json-file", defaults)
    own = LogConfig(Type="json-file", Config={"max-file": "100"})
    assert effective_opts(own, "json-file", defaults) == (
        "json-file", {"max-size": "20m", "max-file": "100"})
    assert effective_opts(LogConfig(Type="local"), "json-file", defaults) == ("local", {})
