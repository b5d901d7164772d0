"""``SealedExe``: the runtime binary executed from a sealed memfd copy."""

from __future__ import annotations

import fcntl
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pallet.runtime import sealedexe
from pallet.runtime.sealedexe import SEALS, SealedExe


@pytest.fixture
def tool(tmp_path: Path) -> Path:
    path = tmp_path / "tool"
    shutil.copy(shutil.which("true") or "/bin/true", path)
    return path


def test_copy_is_sealed_identical_and_runs(tool: Path) -> None:
    exe = SealedExe(str(tool))
    try:
        path = exe.executable()
        assert path.startswith(f"/proc/{os.getpid()}/fd/")
        assert Path(path).read_bytes() == tool.read_bytes()
        fd = os.open(path, os.O_RDONLY)
        try:
            assert fcntl.fcntl(fd, fcntl.F_GET_SEALS) == SEALS
        finally:
            os.close(fd)
        fd = os.open(path, os.O_WRONLY)
        try:
            with pytest.raises(PermissionError):  # write-sealed: no one can change it
                os.write(fd, b"overwritten")
        finally:
            os.close(fd)
        assert exe.executable() == path  # the same copy while the binary is unchanged
        # argv[0] stays the tool's name; the bytes come from the copy
        assert subprocess.run([str(tool)], executable=path).returncode == 0
    finally:
        exe.close()


def test_a_changed_binary_is_copied_again(tool: Path) -> None:
    exe = SealedExe(str(tool))
    try:
        first = exe.executable()
        shutil.copy(shutil.which("false") or "/bin/false", tool)
        second = exe.executable()
        assert second != first
        assert Path(second).read_bytes() == tool.read_bytes() != Path(first).read_bytes()
        assert subprocess.run([str(tool)], executable=second).returncode == 1
        assert Path(first).exists()  # the old copy stays open for a call in flight
    finally:
        exe.close()


def test_a_script_runs_from_disk(tool: Path) -> None:
    tool.write_bytes(b"#!/bin/sh\nexit 7\n")
    exe = SealedExe(str(tool))
    assert exe.executable() == str(tool)  # its $0 stays its own path


def test_missing_binary_is_left_to_execve(tmp_path: Path) -> None:
    missing = str(tmp_path / "absent")
    assert SealedExe(missing).executable() == missing


def test_a_binary_rewritten_while_copied_runs_from_disk(
        tool: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Growing(io.FileIO):
        reads = 0

        def read(self, size: int = -1) -> bytes:
            self.reads += 1
            if self.reads == 2:  # the copy's first: an upgrade writes the file in place
                with open(tool, "ab") as f:
                    f.write(b"\0" * 4096)
            return super().read(size)

    monkeypatch.setattr(sealedexe, "open", Growing, raising=False)
    assert sealedexe.sealed_copy(str(tool)) == -1
    monkeypatch.undo()
    exe = SealedExe(str(tool))
    try:
        assert exe.executable() != str(tool)  # unchanged since: copied
    finally:
        exe.close()
