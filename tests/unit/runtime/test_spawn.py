"""spawn: children started with vfork, their pipes and exits on the event loop (asyncio's
and uvloop's), with no fd left behind."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvloop

from pallet.runtime.spawn import DEVNULL, PIPE, spawn

Runner = Callable[[Coroutine[Any, Any, Any]], Any]
RUNNERS: list[Runner] = [asyncio.run, uvloop.run]


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("run", RUNNERS)
def test_output_and_exit_code(run: Runner) -> None:
    async def main() -> tuple[bytes, bytes, int | None]:
        child = await spawn(["sh", "-c", "echo out; echo err >&2; exit 3"])
        out, err = await child.communicate()
        return out, err, child.returncode

    assert run(main()) == (b"out\n", b"err\n", 3)


@pytest.mark.parametrize("run", RUNNERS)
def test_stdin_round_trip(run: Runner) -> None:
    async def main() -> bytes:
        child = await spawn(["cat"], stdin=PIPE)
        assert child.stdin is not None
        child.stdin.write(b"x" * 200_000)  # more than a pipe holds: drain must wait
        await child.stdin.drain()
        child.stdin.close()
        out, _ = await child.communicate()
        return out

    assert run(main()) == b"x" * 200_000


@pytest.mark.parametrize("run", RUNNERS)
def test_many_at_once_leave_no_fd(run: Runner) -> None:
    async def main() -> list[tuple[bytes, int]]:
        async def one(i: int) -> tuple[bytes, int]:
            child = await spawn(["sh", "-c", f"echo {i}; exit {i % 7}"], stderr=DEVNULL)
            out, _ = await child.communicate()
            return out, await child.wait()

        return await asyncio.gather(*(one(i) for i in range(40)))

    before = _fds()
    results = run(main())
    assert results == [(f"{i}\n".encode(), i % 7) for i in range(40)]
    assert _fds() == before


@pytest.mark.parametrize("run", RUNNERS)
def test_kill_gives_the_signal_exit(run: Runner) -> None:
    async def main() -> int:
        child = await spawn(["sleep", "30"], stdout=DEVNULL, stderr=DEVNULL)
        child.kill()
        return await child.wait()

    assert run(main()) == -9


def test_missing_program_raises() -> None:
    async def main() -> None:
        await spawn(["/nonexistent/program"])

    before = _fds()
    with pytest.raises(FileNotFoundError):
        asyncio.run(main())
    assert _fds() == before
