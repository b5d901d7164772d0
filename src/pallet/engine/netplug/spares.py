"""Warm endpoints on the default bridge, made before a container asks.

netavark's setup of a bridge endpoint costs ~45 ms here (some twenty iptables
checks, one process each). Most containers join the default bridge and ask for
nothing particular, so palletd keeps one such endpoint set up ahead: a pinned
namespace, its address and netavark's answer. A container that fits (default
bridge, no published ports, no fixed address or MAC, no interface sysctl)
takes it at start, and the pool makes the next one in the background.

Lifecycle of one spare:

    made     document in ``<state>/<n>.json`` (written first), address held by
             its own IPAM owner, netns pinned at ``<netns>/_spare-<n>``, netavark
             set up, then the document again with ``ready: true`` (what an observer
             outside palletd waits for: the pinned namespace exists before setup ends)
    taken    the address passes to the container, the document leaves the pool
             and goes to the container's record: from here it is the
             container's endpoint, torn down at its exit like any other (a
             spare is never given to a second container)
    dropped  at a clean stop, or at the next start after palletd was killed
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

import msgspec

from pallet.engine.netplug.service import NetworkService
from pallet.errors import PalletError
from pallet.network import netns
from pallet.network.netavark import Attachment, Netavark, setup_document
from pallet.network.netdoc import SetupDocument, SetupResult
from pallet.system.atomic import write_bytes
from pallet.system.ids import new_id

log = logging.getLogger(__name__)
OWNER_PREFIX = "pallet-spare-"


@dataclass
class Spare:
    owner: str  # the IPAM owner while nobody has it
    network_id: str
    ip: str
    path: Path  # the pinned namespace
    doc: SetupDocument  # netavark's setup document (teardown needs it)
    result: SetupResult  # netavark's answer


class SpareNote(msgspec.Struct):
    """A spare's document in ``<state>/<owner>.json``, for a start after a kill."""

    netns: str
    doc: SetupDocument
    ready: bool = False  # netavark's setup finished; only a ready spare is ever taken


class SparePool:
    def __init__(self, nets: NetworkService, driver: Netavark, netns_dir: Path,
                 state_dir: Path, size: int = 1) -> None:
        self.nets = nets
        self.driver = driver
        self.netns_dir = netns_dir
        self.state_dir = state_dir
        self.size = size
        self._ready: list[Spare] = []
        self._filling: asyncio.Task[None] | None = None
        self._closed = False

    # -- palletd start / stop ----------------------------------------------------------
    async def up(self) -> None:
        await asyncio.to_thread(self._drop_leftovers)
        self.refill()

    async def down(self) -> None:
        self._closed = True
        if self._filling is not None:
            await asyncio.gather(self._filling, return_exceptions=True)
        spares, self._ready = self._ready, []
        for spare in spares:
            await asyncio.to_thread(self._drop, spare.path, spare.doc, spare.owner)

    # -- use ------------------------------------------------------------------------------
    def take(self, network_id: str, cid: str) -> Spare | None:
        """A ready endpoint on ``network_id`` now owned by ``cid``, or None."""
        for i, spare in enumerate(self._ready):
            if spare.network_id != network_id:
                continue
            del self._ready[i]
            self.nets.transfer(network_id, spare.ip, spare.owner, cid)
            self._state(spare.owner).unlink(missing_ok=True)
            return spare  # refill() once the taker runs: not competing with its start
        self.refill()
        return None

    # -- making spares ------------------------------------------------------------------
    def refill(self) -> None:
        """Make spares up to the pool's size, in the background."""
        if self._closed or len(self._ready) >= self.size:
            return
        if self._filling is None or self._filling.done():
            self._filling = asyncio.ensure_future(self._fill())

    async def _fill(self) -> None:
        while not self._closed and len(self._ready) < self.size:
            try:
                spare = await asyncio.to_thread(self._make)
            except PalletError as e:  # containers still start, the slow way
                log.warning("could not prepare a network endpoint ahead: %s", e)
                return
            if self._closed:
                await asyncio.to_thread(self._drop, spare.path, spare.doc, spare.owner)
                return
            self._ready.append(spare)
            with contextlib.suppress(OSError):  # a marker for observers; recovery has the first
                self._note(spare, ready=True)  # on the loop: no take() can come in between

    def _make(self) -> Spare:
        n = self.nets.resolve("bridge")
        owner = OWNER_PREFIX + new_id()[:12]
        ip = self.nets.allocate(n, owner)
        path = self.netns_dir / ("_spare-" + owner[len(OWNER_PREFIX):])
        doc = setup_document(owner, owner, [Attachment(n, ip, "eth0", [])])
        # the document first: a palletd killed mid-setup leaves what the next start undoes
        spare = Spare(owner, n.id, ip, path, doc, {})
        self._note(spare, ready=False)
        try:
            netns.create(path)
            result = self.driver.setup(str(path), doc)
        except BaseException:
            self._drop(path, doc, owner)
            raise
        spare.result = result
        return spare

    def _note(self, spare: Spare, ready: bool) -> None:
        note = SpareNote(str(spare.path), spare.doc, ready=ready)
        write_bytes(self._state(spare.owner), msgspec.json.encode(note), durable=False)

    # -- dropping -------------------------------------------------------------------------
    def _state(self, owner: str) -> Path:
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.state_dir / f"{owner}.json"

    def _drop(self, path: Path, doc: SetupDocument | None, owner: str) -> None:
        if doc is not None and netns.exists(path):
            with contextlib.suppress(PalletError):
                self.driver.teardown(str(path), doc)
        netns.delete(path)
        self._state(owner).unlink(missing_ok=True)
        self.nets.store.release_all(owner)

    def _drop_leftovers(self) -> None:
        """Spares a killed palletd left behind."""
        if self.state_dir.is_dir():
            for state in self.state_dir.glob(OWNER_PREFIX + "*.json"):
                with contextlib.suppress(OSError, ValueError):  # msgspec's errors too
                    saved = msgspec.json.decode(state.read_bytes(), type=SpareNote)
                    self._drop(Path(saved.netns), saved.doc, state.stem)
                state.unlink(missing_ok=True)
            for partial in self.state_dir.glob(".*.tmp"):  # a write the kill cut short
                partial.unlink(missing_ok=True)
        with contextlib.suppress(PalletError):
            bridge = self.nets.resolve("bridge")
            for owner in self.nets.store.holders(bridge.id):
                if owner.startswith(OWNER_PREFIX):  # killed before its document was saved
                    self.nets.store.release_all(owner)
