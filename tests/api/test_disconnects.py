"""A client that goes away mid-request is one INFO line in the log, never an ERROR with a
traceback (any socket user could otherwise flood the daemon's log); nor is a request for
something pallet does not support (501) an error of the daemon's."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from pallet.errors import Unsupported
from pallet.server.errors import to_response
from pallet.server.versions import edge_middleware


@pytest.mark.parametrize("exc", [ConnectionResetError("Connection lost"),
                                 BrokenPipeError(32, "Broken pipe")])
def test_client_gone_is_one_info_line(exc: ConnectionError,
                                      caplog: pytest.LogCaptureFixture) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        raise exc

    request = make_mocked_request("POST", "/images/load")
    with caplog.at_level(logging.DEBUG, logger="pallet.server"):
        response = asyncio.run(edge_middleware(request, handler))
    assert response.status == 400
    records = [r for r in caplog.records if r.name == "pallet.server"]
    assert len(records) == 1 and records[0].levelno == logging.INFO
    assert records[0].exc_info is None and "POST /images/load" in records[0].getMessage()


def test_unsupported_is_not_logged_as_an_error(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="pallet.server"):
        assert to_response(Unsupported("image search is not supported")).status == 501
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
