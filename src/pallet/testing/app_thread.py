"""The real Engine API app over a FakeBackend, served on a unix socket from a
background thread with its own event loop: wire clients (docker-py, the docker CLI,
``pallet.client``) talk to it as to a daemon, without root or a runtime."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from pallet.server.app import core_routers, make_app, serve_unix
from pallet.testing.fake_backend import FakeBackend

T = TypeVar("T")


class AppThread:
    """The app on ``sock`` in a thread with its own event loop."""

    def __init__(self, base: Path) -> None:
        self.sock = base / "d.sock"
        self.fake: FakeBackend
        self.loop = asyncio.new_event_loop()
        ready: Future[None] = Future()

        async def serve() -> None:
            self.fake = FakeBackend(spool=base / "spool")
            self.runner = await serve_unix(make_app(core_routers(self.fake)), self.sock)

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            try:
                self.loop.run_until_complete(serve())
            except BaseException as exc:
                ready.set_exception(exc)
                return
            ready.set_result(None)
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.result(timeout=10)

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the daemon's loop (FakeBackend is not thread-safe)."""

        async def wrap() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(wrap(), self.loop).result(timeout=10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@contextmanager
def app_thread() -> Iterator[AppThread]:
    """An ``AppThread`` on a fresh temporary directory, stopped at the end."""
    with tempfile.TemporaryDirectory(prefix="pallet-wire-") as tmp:
        d = AppThread(Path(tmp))
        try:
            yield d
        finally:
            d.stop()
