"""Attach sessions: a client's view of a container's stdio.

A session connects to the monitor's attach socket. Attaching to a container
that is not running yet (``docker run`` attaches before it starts) registers a
pre-start hook, so the connection exists before the process runs and no early
output is lost. With ``logs`` the stored log is replayed first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from pallet.engine.containers import ContainerService
from pallet.engine.ports import AttachView
from pallet.engine.records import Container
from pallet.logs.reader import read_logs


class ContainerAttach:
    def __init__(self, svc: ContainerService, c: Container, *, stdin: bool, stdout: bool,
                 stderr: bool, logs: bool, stream: bool) -> None:
        self.tty = c.config.Tty
        self.detach_keys = ""
        self._svc = svc
        self._c = c
        self._want = {1: stdout, 2: stderr}
        self._stdin = stdin and c.config.OpenStdin
        self._logs = logs
        self._stream = stream
        self._conn: asyncio.Future[AttachView | None] = (
            asyncio.get_running_loop().create_future())
        self._pending_stdin: list[bytes] = []
        self._stdin_closed = False

    async def setup(self) -> None:
        """Connect now if the container runs, else when it starts."""
        if not self._stream:
            self._conn.set_result(None)
            return
        if self._c.running:
            await self._connect(self._c)
        else:
            self._svc.add_pre_start(self._c.id, self._connect)

    async def _connect(self, c: Container) -> None:
        if self._conn.done():
            return
        try:
            conn = await self._svc.runtime.attach(c.id, self._svc.bundle(c.id))
        except BaseException as e:
            self._conn.set_exception(e)
            raise
        for data in self._pending_stdin:
            await conn.write_stdin(data)
        if self._stdin_closed:
            await conn.close_stdin()
        self._conn.set_result(conn)

    async def output(self) -> AsyncIterator[tuple[int, bytes]]:
        if self._logs:
            for rec in read_logs(self._svc.log_path(self._c.id)):
                if self._want.get(rec.stream):
                    yield rec.stream, rec.data
        conn = await self._conn
        if conn is None:
            return
        async for stream, data in conn.output():
            if self._want.get(stream, False) or (self.tty and self._want.get(1)):
                yield stream, data

    async def write_stdin(self, data: bytes) -> None:
        if not self._stdin:
            return
        if self._conn.done() and self._conn.result() is not None:
            conn = self._conn.result()
            assert conn is not None
            await conn.write_stdin(data)
        else:
            self._pending_stdin.append(data)

    async def close_stdin(self) -> None:
        if not self._stdin:
            return
        self._stdin_closed = True
        if self._conn.done() and not self._conn.exception() and self._conn.result() is not None:
            conn = self._conn.result()
            assert conn is not None
            await conn.close_stdin()

    async def close(self) -> None:
        if self._conn.done():
            if not self._conn.exception():
                conn = self._conn.result()
                if conn is not None:
                    await conn.close()
        else:
            self._conn.cancel()
