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
import json
import logging
from pathlib import Path
from typing import Any, Protocol

from pallet.engine.records import Container
from pallet.errors import CommandFailed
from pallet.network import netns
from pallet.network.netavark import Netavark
from pallet.system.atomic import write_json
from pallet.system.ids import new_id

log = logging.getLogger(__name__)


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

    async def teardown(self, cid: str, st: dict[str, Any]) -> None:
        """Tear down the endpoint ``st`` describes, now, and free only its addresses."""
        path = Path(st["netns"]) if st.get("netns") else self.netns_dir / cid
        for doc in reversed(st.get("docs", [])):
            await self.teardown_doc(path, doc)
        await asyncio.to_thread(netns.delete, path)
        # only this endpoint's addresses: the container may have started again meanwhile
        for doc in st.get("docs", []):
            for nv_name, att in (doc.get("networks") or {}).items():
                nid = str((doc.get("network_info") or {}).get(nv_name, {}).get("id", ""))
                for ip in att.get("static_ips") or []:
                    self.addresses.release_ip(nid, ip, cid)
        st.update(docs=[], endpoints={}, ports=[], netns="")

    async def teardown_doc(self, path: Path, doc: dict[str, Any]) -> None:
        if not doc.get("networks"):
            return
        try:
            if not netns.exists(path):
                ifaces = [v["interface_name"] for v in doc["networks"].values()]
                await asyncio.to_thread(netns.stand_in, path, ifaces)
            await asyncio.to_thread(self.driver.teardown, str(path), doc)
        except CommandFailed as e:
            log.warning("netavark teardown of %s failed: %s", path.name[:12], e)

    # -- notes --------------------------------------------------------------------------
    def note_start(self, cid: str, path: Path, doc: dict[str, Any]) -> None:
        note = self.note({"cid": cid, "netns": str(path), "docs": [doc], "start": True})
        if note is not None:
            self._start_notes[cid] = note

    def forget_start(self, cid: str) -> None:
        note = self._start_notes.pop(cid, None)
        if note is not None:
            note.unlink(missing_ok=True)

    def note(self, gone: dict[str, Any]) -> Path | None:
        if self.reap_dir is None:
            return None
        self.reap_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        note = self.reap_dir / f"{gone['cid']}-{new_id()[:8]}.json"
        write_json(note, gone, durable=False)  # a reboot removes netns too
        return note

    # -- background teardown --------------------------------------------------------------
    def reap(self, gone: dict[str, Any], note: Path | None) -> None:
        task = asyncio.ensure_future(self._reap(gone, note))
        self._reaping.add(task)
        task.add_done_callback(self._reaping.discard)

    async def _reap(self, gone: dict[str, Any], note: Path | None) -> None:
        try:
            await self.teardown(gone["cid"], gone)
        except Exception:
            log.exception("teardown of the network of %s failed", gone["cid"][:12])
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
                gone = json.loads(note.read_text())
            except (OSError, ValueError):
                gone = None
            if not isinstance(gone, dict) or not isinstance(gone.get("cid"), str):
                note.unlink(missing_ok=True)
                continue
            if gone.get("start"):  # a start the kill cut short: orphaned unless recorded
                rec = self.records.get(gone["cid"])
                if rec is not None and (rec.extras.network or {}).get("netns") == gone["netns"]:
                    note.unlink(missing_ok=True)
                    continue
            self.reap(gone, note)

    async def drain(self) -> None:
        """Wait until every released endpoint is gone."""
        while self._reaping:
            await asyncio.gather(*list(self._reaping), return_exceptions=True)
