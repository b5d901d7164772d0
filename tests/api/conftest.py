"""Fixtures for route tests: the real app over a FakeBackend, driven with aiohttp's
test client inside ``asyncio.run`` (no pytest-asyncio/pytest-aiohttp needed)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp.test_utils import TestClient, TestServer

from pallet.server.app import core_routers, make_app
from pallet.testing.fake_backend import FakeBackend

T = TypeVar("T")
ApiTest = Callable[[TestClient[Any, Any], FakeBackend], Awaitable[T]]


@pytest.fixture
def api(tmp_path: Path) -> Callable[[ApiTest[Any]], Any]:
    """``api(fn)`` runs ``await fn(client, fake)`` against a fresh app; returns its value."""

    def run(fn: ApiTest[T]) -> T:
        async def main() -> T:
            fake = FakeBackend(spool=tmp_path / "spool")
            server = TestServer(make_app(core_routers(fake)))
            async with server, TestClient(server) as client:
                return await fn(client, fake)

        return asyncio.run(main())

    return run
