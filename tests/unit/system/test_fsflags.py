"""mark_topdir: sets chattr +T where the filesystem has it, leaves others alone."""

from __future__ import annotations

import array
import errno
import fcntl
import os
from pathlib import Path
from typing import Any

import pytest

from pallet.system import fsflags


def _flags(path: Path) -> int:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        buf = array.array("i", [0])
        fcntl.ioctl(fd, fsflags.FS_IOC_GETFLAGS, buf, True)
        return buf[0]
    finally:
        os.close(fd)


def test_marks_a_directory_where_the_filesystem_has_inode_flags(tmp_path: Path) -> None:
    d = tmp_path / "s"
    d.mkdir()
    try:
        before = _flags(d)
    except OSError:  # no inode flags here (tmpfs): nothing is marked
        assert fsflags.mark_topdir(d) is False
        return
    marked = fsflags.mark_topdir(d)
    after = _flags(d)
    assert marked == bool(after & fsflags.FS_TOPDIR_FL)
    assert after & ~fsflags.FS_TOPDIR_FL == before & ~fsflags.FS_TOPDIR_FL  # nothing else
    assert fsflags.mark_topdir(d) == marked  # idempotent


def _failing(code: int) -> Any:
    def ioctl(*_a: object) -> None:
        raise OSError(code, os.strerror(code))
    return ioctl


@pytest.mark.parametrize("code", [errno.ENOTTY, errno.EOPNOTSUPP, errno.EPERM])
def test_a_filesystem_without_the_flag_is_left_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    monkeypatch.setattr(fsflags.fcntl, "ioctl", _failing(code))
    assert fsflags.mark_topdir(tmp_path) is False


def test_other_errors_are_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fsflags.fcntl, "ioctl", _failing(errno.EIO))
    with pytest.raises(OSError):
        fsflags.mark_topdir(tmp_path)
