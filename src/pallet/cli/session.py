"""Per-invocation state: which daemon to talk to, and the API client (made on
first use, with palletd auto-start for the default host)."""

from __future__ import annotations

import sys

import click

from pallet.client.api import EngineAPI
from pallet.client.http import Transport, resolve_host


class Session:
    def __init__(self, host_flag: str | None) -> None:
        self.host, self.is_default = resolve_host(host_flag)
        self._api: EngineAPI | None = None

    @property
    def api(self) -> EngineAPI:
        if self._api is None:
            transport = Transport(self.host)
            if self.is_default and transport.scheme == "unix":
                transport.on_unavailable = lambda: _autostart(transport)
            self._api = EngineAPI(transport)
        return self._api


def _autostart(transport: Transport) -> None:
    from pallet.client.autostart import spawn_daemon, wait_ready

    sys.stderr.write(
        f"pallet: palletd is not running; starting it (socket {transport.socket_path})\n"
    )
    sys.stderr.flush()
    proc = spawn_daemon(transport.socket_path)
    wait_ready(transport, proc)


def api() -> EngineAPI:
    """The current invocation's API client."""
    ctx = click.get_current_context()
    session = ctx.find_object(Session)
    if session is None:  # a command invoked outside the root group (tests)
        session = Session(None)
        ctx.obj = session
    return session.api
