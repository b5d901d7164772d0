"""Endpoint teardown and the notes that make it survive a killed palletd.

An endpoint is noted on disk (``<run>/networks/reaping``) before it exists (a start)
and before a record forgets it (a release); the note goes once the record holds it
or once it is torn down. A release tears down in the background: an exit (and
``run --rm``) does not wait for netavark, while the next start, ``network rm`` and a
daemon stop wait (:meth:`EndpointReaper.drain`), so addresses and ports never meet
an old endpoint's rules. At palletd's start :meth:`EndpointReaper.resume` finishes
what a killed palletd left.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import msgspec

from pallet.engine.records import Container
from pallet.errors import CommandFailed
from pallet.network import netns
from pallet.network.netavark import Netavark
from pallet.network.netdoc import SetupDocument
from pallet.system.atomic import write_bytes
from pallet.system.ids import new_id

log = logging.getLogger(__name__)


class TeardownNote(msgspec.Struct, kw_only=True):
    """An endpoint to tear down, on disk until it is gone (one file per note)."""

    cid: str
    netns: str = ""
    docs: list[SetupDocument] = []
    start: bool = False  # noted at a start: orphaned unless the record holds it


class Releases(Protocol):
    """The network service's address book (what a teardown gives back)."""

    def release_ip(self, nid: str, ip: str, cid: str) -> None: ...


class Lookup(Protocol):
    def get(self, cid: str) -> Container | None: ...


class EndpointReaper:
    def __init__(self, driver: Netavark, netns_dir: Path, addresses: Releases,
                 records: Lookup, reap_dir: Path | None = None) -> None:
        self.driver = driver
        self.netns_dir = netns_dir
        self.addresses = addresses
        self.records = records
        self.reap_dir = reap_dir  # teardowns in flight, one file each
        self._reaping: set[asyncio.Task[None]] = set()
        self._start_notes: dict[str, Path] = {}  # endpoints made, record unsaved

    async def teardown(self, cid: str, netns_path: str, docs: Sequence[SetupDocument]) -> None:
        """Tear down the endpoint of ``docs`` in ``netns_path``, now, and free only its
        addresses."""
        path = Path(netns_path) if netns_path else self.netns_dir / cid
        for doc in reversed(docs):
            await self.teardown_doc(path, doc)
        await asyncio.to_thread(netns.delete, path)
        # only this endpoint's addresses: the container may have started again meanwhile
        for doc in docs:
            for nv_name, att in doc.networks.items():
                info = doc.network_info.get(nv_name)
                for ip in att.static_ips:
                    self.addresses.release_ip(info.id if info else "", ip, cid)

    async def teardown_doc(self, path: Path, doc: SetupDocument) -> None:
        if not doc.networks:
            return
        try:
            if not netns.exists(path):
                ifaces = [v.interface_name for v in doc.networks.values()]
                await asyncio.to_thread(netns.stand_in, path, ifaces)
            await asyncio.to_thread(self.driver.teardown, str(path), doc)
        except CommandFailed as e:
            log.warning("netavark teardown of %s failed: %s", path.name[:12], e)

    # -- notes --------------------------------------------------------------------------
    def note_start(self, cid: str, path: Path, docs: Sequence[SetupDocument]) -> None:
        note = self.note(TeardownNote(cid=cid, netns=str(path), docs=list(docs), start=True))
        if note is not None:
            self._start_notes[cid] = note

    def forget_start(self, cid: str) -> None:
        note = self._start_notes.pop(cid, None)
        if note is not None:
            note.unlink(missing_ok=True)

    def note(self, gone: TeardownNote) -> Path | None:
        if self.reap_dir is None:
            return None
        self.reap_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        note = self.reap_dir / f"{gone.cid}-{new_id()[:8]}.json"
        write_bytes(note, msgspec.json.encode(gone), durable=False)  # a reboot removes netns too
        return note

    # -- background teardown --------------------------------------------------------------
    def reap(self, gone: TeardownNote, note: Path | None) -> None:
        task = asyncio.ensure_future(self._reap(gone, note))
        self._reaping.add(task)
        task.add_done_callback(self._reaping.discard)

    async def _reap(self, gone: TeardownNote, note: Path | None) -> None:
        try:
            await self.teardown(gone.cid, gone.netns, gone.docs)
        except Exception:
            log.exception("teardown of the network of %s failed", gone.cid[:12])
        finally:
            if note is not None:
                note.unlink(missing_ok=True)

    async def resume(self) -> None:
        """At palletd start: finish the teardowns a killed palletd left, and tear down the
        endpoints of starts it was killed in (unless the record holds them)."""
        if self.reap_dir is None or not self.reap_dir.is_dir():
            return
        for note in sorted(self.reap_dir.glob("*.json")):
            try:
                gone = msgspec.json.decode(note.read_bytes(), type=TeardownNote)
            except (OSError, ValueError):  # msgspec's errors are ValueErrors
                note.unlink(missing_ok=True)
                continue
            if gone.start:  # a start the kill cut short: orphaned unless recorded
                rec = self.records.get(gone.cid)
                if rec is not None and rec.extras.network is not None \
                        and rec.extras.network.netns == gone.netns:
                    note.unlink(missing_ok=True)
                    continue
            self.reap(gone, note)

    async def drain(self) -> None:
        """Wait until every released endpoint is gone."""
        while self._reaping:
            await asyncio.gather(*list(self._reaping), return_exceptions=True)
