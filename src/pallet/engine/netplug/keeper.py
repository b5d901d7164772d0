"""A standing endpoint on the default bridge.

netavark creates a bridge and its NAT chains when the first container joins and
deletes them when the last one leaves: for a lone ``run --rm`` that is ~60 ms of
setup and ~240 ms of teardown per container. Docker keeps docker0 up instead;
pallet keeps one idle namespace attached to its default bridge while palletd
runs, so a container's start and stop only add and remove its own veth.

The setup document is kept beside netavark's config, so a palletd that was
killed finds its keeper on the next start and tears it down on a clean stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import msgspec

from pallet.engine.netplug.service import NetworkService
from pallet.errors import PalletError
from pallet.network import netns
from pallet.network.netavark import Attachment, Netavark, setup_document
from pallet.network.netdoc import SetupDocument
from pallet.system.atomic import write_bytes

log = logging.getLogger(__name__)

KEEPER_ID = "pallet-default-bridge-keeper"


class BridgeKeeper:
    def __init__(self, nets: NetworkService, driver: Netavark, netns_dir: Path,
                 state: Path) -> None:
        self.nets = nets
        self.driver = driver
        self.path = netns_dir / "_bridge"
        self.state = state  # the setup document, for teardown

    def _up(self) -> None:
        if netns.exists(self.path) and self.state.exists():
            return  # left by a palletd that was killed: still standing
        self._down()
        n = self.nets.resolve("bridge")
        ip = self.nets.allocate(n, KEEPER_ID)
        doc = setup_document(KEEPER_ID, KEEPER_ID, [Attachment(n, ip, "eth0", [])])
        # first: a kill mid-setup leaves what _down undoes
        write_bytes(self.state, msgspec.json.encode(doc))
        try:
            netns.create(self.path)
            self.driver.setup(str(self.path), doc)
        except BaseException:
            self._down()
            raise

    def _down(self) -> None:
        doc: SetupDocument | None = None
        with contextlib.suppress(OSError, ValueError):  # msgspec's errors too
            doc = msgspec.json.decode(self.state.read_bytes(), type=SetupDocument)
        if doc is not None and netns.exists(self.path):
            with contextlib.suppress(PalletError):
                self.driver.teardown(str(self.path), doc)
        with contextlib.suppress(Exception):
            netns.delete(self.path)
        self.state.unlink(missing_ok=True)
        self.nets.store.release_all(KEEPER_ID)

    async def up(self) -> None:
        try:
            await asyncio.to_thread(self._up)
        except PalletError as e:  # containers still work: the bridge is made on demand
            log.warning("could not keep the default bridge up: %s", e)

    async def down(self) -> None:
        await asyncio.to_thread(self._down)
