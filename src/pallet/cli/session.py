"""Per-invocation state: which daemon to talk to, and the API client (made on
first use, with palletd auto-start for the default host)."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from pallet.client import Client
    from pallet.client.http import Transport


class Session:
    def __init__(self, host_flag: str | None) -> None:
        self.host_flag = host_flag
        self._api: Client | None = None
        self._transport: Transport | None = None

    @property
    def transport(self) -> Transport:
        """The HTTP transport of this invocation's daemon."""
        if self._transport is None:
            from pallet.client.http import Transport, resolve_host

            host, is_default = resolve_host(self.host_flag)
            transport = Transport(host)
            if is_default and transport.scheme == "unix":
                transport.on_unavailable = lambda: _autostart(transport)
            self._transport = transport
        return self._transport

    @property
    def api(self) -> Client:
        if self._api is None:
            from pallet.client import Client

            self._api = Client(self.transport)
        return self._api


def _autostart(transport: Transport) -> None:
    from pallet.client.autostart import spawn_daemon, wait_ready

    sys.stderr.write(
        f"pallet: palletd is not running; starting it (socket {transport.socket_path})\n"
    )
    sys.stderr.flush()
    proc = spawn_daemon(transport.socket_path)
    wait_ready(transport, proc)


_current: Session | None = None


def configure(host_flag: str | None) -> None:
    """Start this invocation's session (the root ``-H`` flag)."""
    global _current
    _current = Session(host_flag)


def current() -> Session:
    """The current invocation's session."""
    global _current
    if _current is None:  # a command invoked outside the root group (tests)
        _current = Session(None)
    return _current


def api() -> Client:
    """The current invocation's API client."""
    return current().api
