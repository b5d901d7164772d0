"""``palletd``: serve the Docker Engine API on a unix socket.

Start-up order: check the host (and fix what can be fixed), open the state
database, wire the engine, watch conmon's exit files, reconcile records with
what survived while the daemon was away, then listen. Containers are not
children of palletd (conmon double-forks), so they outlive it.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
import sys
from pathlib import Path

from pallet.daemon.config import DaemonConfig, load
from pallet.errors import PalletError

log = logging.getLogger("palletd")


def _lock(run: Path) -> int:
    fd = os.open(run / "palletd.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise PalletError(f"another palletd is running with {run}") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


async def serve(config: DaemonConfig) -> None:
    from pallet.daemon.wiring import build
    from pallet.server.app import make_app, serve_unix

    paths = config.paths
    daemon = build(config)
    for warning in daemon.host.warnings:
        log.warning("%s", warning)
    for fix in daemon.host.cgroup_fix:
        log.warning("host fix applied: %s", fix)
    watcher_task = asyncio.create_task(daemon.watch_exits())
    await daemon.started()
    await daemon.reconcile()
    await daemon.ready()
    app = make_app(daemon.routers, middlewares=daemon.middlewares)
    runner = await serve_unix(app, paths.socket, group=config.group)
    log.info("palletd listening on %s (runtime %s)", paths.socket, daemon.host.runtime_name)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("palletd stopping; containers keep running")
    await runner.cleanup()
    await daemon.stopping()
    watcher_task.cancel()
    daemon.close()


def main(argv: list[str] | None = None) -> None:
    try:
        config = load(argv)
    except PalletError as e:
        print(f"palletd: {e}", file=sys.stderr)
        sys.exit(1)
    logging.basicConfig(
        level=logging.DEBUG if config.debug else logging.INFO,
        format="%(asctime)s palletd %(levelname)s %(message)s",
    )
    if os.geteuid() != 0:
        print("palletd: must run as root (it mounts filesystems and runs containers)",
              file=sys.stderr)
        sys.exit(1)
    try:
        from pallet.server.app import socket_gid
        from pallet.system.private import secure_state

        secure_state(config.paths, socket_gid(config.group))
        lock = _lock(config.run)
        import uvloop  # libuv's event loop: a third less per request than asyncio's

        uvloop.run(serve(config))
        os.close(lock)
    except PalletError as e:
        print(f"palletd: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
