"""Start palletd in the background when the default socket is absent."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from pallet.client.http import Transport
from pallet.errors import PalletError, Unavailable


def spawn_daemon(socket_path: str) -> subprocess.Popen[bytes]:
    """``python -m pallet.daemon.main`` detached (own session), logging next to the socket."""
    run_dir = os.path.dirname(socket_path) or "."
    os.makedirs(run_dir, exist_ok=True)
    log_path = os.path.join(run_dir, "palletd.log")
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "pallet.daemon.main"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            close_fds=True,
        )
    finally:
        log.close()


def wait_ready(transport: Transport, proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Poll ``/_ping`` until the daemon answers; fail early if it exits."""
    deadline = time.monotonic() + timeout
    probe = Transport(transport.host, version=None, timeout=2)
    delay = 0.01
    while time.monotonic() < deadline:
        if os.path.exists(transport.socket_path):
            try:
                probe.request("GET", "/_ping", versioned=False).read()
                return
            except PalletError:
                pass
        rc = proc.poll()
        if rc is not None:
            raise Unavailable(
                f"palletd exited with status {rc} during start; see "
                f"{os.path.join(os.path.dirname(transport.socket_path), 'palletd.log')}"
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
    raise Unavailable(f"palletd did not answer on {transport.host} within {timeout:.0f}s")
