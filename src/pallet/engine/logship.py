"""The remote log drivers (``syslog``, ``gelf``, ``fluentd``) in a container's lifecycle.

Docker's dual logging: the container writes to its local log as with any driver (conmon
holds its stdio; ``pallet logs`` reads that file) and palletd ships from the file, one
``logs.shipper.Shipper`` per running container, from where the file ended when the
container started. The container is never coupled to the receiver: a receiver that is
slow, down or absent costs dropped lines (``mode=non-blocking``) or a shipper that lags
behind the file (``blocking``), never a blocked or failed container. After a daemon
restart the shippers resume at the files' ends.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket

from pallet.engine.containers import ContainerService
from pallet.engine.logwatch import effective_opts
from pallet.engine.plugins import Plugin, StartContext
from pallet.engine.records import Container
from pallet.errors import PalletError
from pallet.logs.shipformat import LogMeta
from pallet.logs.shipopts import REMOTE_DRIVERS, ShipConfig, parse_ship
from pallet.logs.shipper import Shipper

log = logging.getLogger(__name__)


class LogShipPlugin(Plugin):
    name = "logship"

    def __init__(self, containers: ContainerService, default_driver: str,
                 default_opts: dict[str, str]) -> None:
        self.containers = containers
        self.default_driver = default_driver
        self.default_opts = dict(default_opts)
        self.hostname = socket.gethostname()
        self.shippers: dict[str, Shipper] = {}
        self._offsets: dict[str, int] = {}

    def config_of(self, c: Container) -> ShipConfig | None:
        driver, opts = effective_opts(c.host_config.LogConfig, self.default_driver,
                                      self.default_opts)
        return parse_ship(driver, opts) if driver in REMOTE_DRIVERS else None

    def meta_of(self, c: Container) -> LogMeta:
        return LogMeta(c.id, c.name, c.config.Image or c.image_id, c.image_id,
                       " ".join([c.path, *c.args]).strip(), c.created, self.hostname)

    async def prepare(self, c: Container, ctx: StartContext) -> None:
        # where this run's lines begin: conmon appends to the file of the previous run
        try:
            self._offsets[c.id] = os.stat(self.containers.log_path(c.id)).st_size
        except FileNotFoundError:
            self._offsets[c.id] = 0

    async def started(self, c: Container) -> None:
        self.ship(c, self._offsets.pop(c.id, None))

    async def released(self, c: Container) -> None:
        shipper = self.shippers.pop(c.id, None)
        if shipper is not None:
            await shipper.stop()

    def ship(self, c: Container, offset: int | None) -> None:
        try:
            cfg = self.config_of(c)
        except PalletError as e:
            log.warning("%s: not shipping its logs: %s", c.name, e)
            return
        if cfg is None or c.id in self.shippers:
            return
        path = self.containers.log_path(c.id)
        if offset is None:
            try:
                offset = os.stat(path).st_size
            except FileNotFoundError:
                offset = 0
        shipper = Shipper(path, offset, cfg, self.meta_of(c))
        self.shippers[c.id] = shipper
        shipper.start()

    def resume(self) -> None:
        """After a daemon start: ship the running containers' new lines."""
        for c in self.containers.store.all():
            if c.running:
                self.ship(c, None)

    async def close(self) -> None:
        for shipper in list(self.shippers.values()):
            with contextlib.suppress(Exception):
                await shipper.stop()
        self.shippers.clear()
