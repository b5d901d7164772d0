"""The container side of networking: a netns per container, netavark setup at
start and teardown at stop, live connect/disconnect, and the views.

State in ``Container.extras["network"]``::

    mode      "bridge" | "host" | "none" | "container:<id>" | "user"
    networks  [{"id", "name", "aliases", "ip"}]  what the container is connected to
    netns     the pinned namespace file while it runs
    docs      the netavark documents set up (teardown needs the same ones)
    endpoints {network id: {"ip", "prefix", "gateway", "mac", "endpoint", "interface"}}
    ports     the published ports in netavark's wire form
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from pallet.engine.net_live import KEY, SPECIAL, LiveConnect
from pallet.engine.net_service import NetworkService
from pallet.engine.net_setup import EndpointSetup
from pallet.engine.net_spares import SparePool
from pallet.engine.net_views import decorate_container
from pallet.engine.plugins import Plugin, StartContext
from pallet.engine.records import Container
from pallet.errors import CommandFailed, Conflict, InvalidArgument, NotFound
from pallet.network import netns
from pallet.network.netavark import (
    Netavark,
)
from pallet.network.records import NetworkRecord
from pallet.system.atomic import write_json
from pallet.system.ids import new_id

log = logging.getLogger(__name__)


class Records(Protocol):
    def resolve(self, ref: str) -> Container: ...

    def get(self, cid: str) -> Container | None: ...

    def save(self, c: Container) -> None: ...

    def all(self) -> list[Container]: ...


# (container, nameservers, search domains): the container service's resolv.conf writer
DnsSink = Callable[[Container, list[str], list[str]], None]


def _mode(c: Container) -> str:
    mode = c.host_config.NetworkMode or "default"
    return "bridge" if mode == "default" else mode


class NetworkPlugin(EndpointSetup, LiveConnect, Plugin):
    name = KEY

    def __init__(self, nets: NetworkService, driver: Netavark, netns_dir: Path,
                 records: Records, spares: SparePool | None = None,
                 dns_sink: DnsSink | None = None, reap_dir: Path | None = None) -> None:
        self.nets = nets
        self.spares = spares
        self.dns_sink = dns_sink  # rewrites a running container's resolv.conf
        self.reap_dir = reap_dir  # teardowns in flight, one file each
        self.driver = driver
        self.netns_dir = netns_dir
        self.records = records
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._reaping: set[asyncio.Task[None]] = set()
        self._starting: dict[str, list[dict[str, Any]]] = {}  # ports chosen, record unsaved
        self._start_notes: dict[str, Path] = {}  # endpoints made, record unsaved

    # -- created: what the container asks for -----------------------------------
    async def created(self, c: Container) -> None:
        mode = _mode(c)
        eps = dict((c.networking.EndpointsConfig or {}) if c.networking else {})
        if "default" in eps:
            eps["bridge"] = eps.pop("default")
        st: dict[str, Any] = {"networks": [], "docs": [], "endpoints": {}, "ports": [],
                              "netns": ""}
        if mode in SPECIAL:
            st["mode"] = mode
        elif mode.startswith("container:"):
            other = self.records.resolve(mode.split(":", 1)[1])
            if other.id == c.id:
                raise InvalidArgument("cannot join own network namespace")
            st["mode"] = "container:" + other.id
            if c.host_config.PortBindings or c.host_config.PublishAllPorts:
                raise InvalidArgument("conflicting options: port publishing and the "
                                      "container type network mode")
        else:
            order = [mode] + [k for k in eps if k != mode]
            for ref in order:
                n = self.nets.resolve(ref)
                if n.driver in ("host", "null"):
                    raise InvalidArgument(f"container cannot be connected to network {n.name} "
                                          "together with other networks")
                ep = eps.get(ref) or eps.get(n.name) or eps.get(n.id)
                st["networks"].append(self._entry(n, ep))
            st["mode"] = "bridge" if st["networks"][0]["name"] == "bridge" else "user"
        c.extras[KEY] = st

    def _entry(self, n: NetworkRecord, ep: Any) -> dict[str, Any]:
        aliases: list[str] = []
        ip = ""
        if ep is not None:
            aliases = list(getattr(ep, "Aliases", None) or [])
            ipam_cfg = getattr(ep, "IPAMConfig", None) or {}
            ip = str(ipam_cfg.get("IPv4Address") or "")
        if (aliases or ip) and n.builtin:
            raise InvalidArgument("network-scoped aliases and IPs are only supported for "
                                  "user-defined networks")
        return {"id": n.id, "name": n.name, "aliases": aliases, "ip": ip}

    # -- start / stop ---------------------------------------------------------------
    def _taken_ports(self, cid: str) -> set[tuple[str, int]]:
        """Host ports of the other containers: saved ones, and those of starts in flight
        (chosen, not yet saved with their record)."""
        lists = [other.extras.get(KEY, {}).get("ports", []) for other in self.records.all()
                 if other.id != cid]
        lists += [ports for other, ports in self._starting.items() if other != cid]
        return {(p["protocol"], p["host_port"]) for ports in lists for p in ports}

    async def prepare(self, c: Container, ctx: StartContext) -> None:
        await self.drain()
        async with self._locks[c.id]:
            st = c.extras.get(KEY)
            if st is None:
                await self.created(c)
                st = c.extras[KEY]
            if st.get("docs") or st.get("netns"):
                await self._teardown(c.id, st)
            mode = st["mode"]
            if mode in SPECIAL:
                return
            if mode.startswith("container:"):
                self._join(st, ctx)
                return
            await self._setup(c, st, ctx)

    def _join(self, st: dict[str, Any], ctx: StartContext) -> None:
        other = self.records.get(st["mode"].split(":", 1)[1])
        if other is None:
            raise NotFound(f"No such container: {st['mode'].split(':', 1)[1]}")
        if not other.running:
            raise Conflict(f"cannot join network namespace of a non running container: "
                           f"{other.id}")
        ost = other.extras.get(KEY, {})
        if ost.get("mode") == "host":
            ctx.netns_path = "host"
        else:
            ctx.netns_path = ost.get("netns") or f"/proc/{other.pid}/ns/net"
        ctx.ips = [e["ip"] for e in ost.get("endpoints", {}).values()]
        ctx.dns = ctx.dns or list(ost.get("dns", []))
        ctx.dns_search = ctx.dns_search or list(ost.get("search", []))

    async def _teardown(self, cid: str, st: dict[str, Any]) -> None:
        path = Path(st["netns"]) if st.get("netns") else self.netns_dir / cid
        for doc in reversed(st.get("docs", [])):
            await self._teardown_doc(path, doc)
        await asyncio.to_thread(netns.delete, path)
        # only this endpoint's addresses: the container may have started again meanwhile
        for doc in st.get("docs", []):
            for nv_name, att in (doc.get("networks") or {}).items():
                nid = str((doc.get("network_info") or {}).get(nv_name, {}).get("id", ""))
                for ip in att.get("static_ips") or []:
                    self.nets.store.release_ip(nid, ip, cid)
        st.update(docs=[], endpoints={}, ports=[], netns="")

    async def _teardown_doc(self, path: Path, doc: dict[str, Any]) -> None:
        if not doc.get("networks"):
            return
        try:
            if not netns.exists(path):
                ifaces = [v["interface_name"] for v in doc["networks"].values()]
                await asyncio.to_thread(netns.stand_in, path, ifaces)
            await asyncio.to_thread(self.driver.teardown, str(path), doc)
        except CommandFailed as e:
            log.warning("netavark teardown of %s failed: %s", path.name[:12], e)

    async def started(self, c: Container) -> None:
        self._starting.pop(c.id, None)  # its record, saved by now, holds its ports
        self._forget_start(c.id)  # ... and its endpoint
        if self.spares is not None:
            self.spares.refill()

    async def released(self, c: Container) -> None:
        self._starting.pop(c.id, None)
        self._forget_start(c.id)
        if self.spares is not None:
            self.spares.refill()
        async with self._locks[c.id]:
            st = c.extras.get(KEY)
            if not st or not (st.get("docs") or st.get("netns")):
                return
            gone = {"cid": c.id, "netns": st.get("netns", ""), "docs": list(st.get("docs", []))}
            # on disk before the record forgets it: a palletd killed mid-teardown finishes
            # it at its next start (resume)
            note = self._note_reap(gone)
            st.update(docs=[], endpoints={}, ports=[], netns="")
            latest = self.records.get(c.id)
            if latest is not None:
                latest.extras[KEY] = st
                self.records.save(latest)
        self._start_reap(gone, note)

    def _note_start(self, cid: str, path: Path, doc: dict[str, Any]) -> None:
        note = self._note_reap({"cid": cid, "netns": str(path), "docs": [doc], "start": True})
        if note is not None:
            self._start_notes[cid] = note

    def _forget_start(self, cid: str) -> None:
        note = self._start_notes.pop(cid, None)
        if note is not None:
            note.unlink(missing_ok=True)

    def _note_reap(self, gone: dict[str, Any]) -> Path | None:
        if self.reap_dir is None:
            return None
        self.reap_dir.mkdir(parents=True, exist_ok=True)
        note = self.reap_dir / f"{gone['cid']}-{new_id()[:8]}.json"
        write_json(note, gone, durable=False)  # a reboot removes netns too
        return note

    def _start_reap(self, gone: dict[str, Any], note: Path | None) -> None:
        task = asyncio.ensure_future(self._reap(gone, note))
        self._reaping.add(task)
        task.add_done_callback(self._reaping.discard)

    async def _reap(self, gone: dict[str, Any], note: Path | None) -> None:
        """Tear a released endpoint down in the background: an exit (and ``run --rm``)
        does not wait for netavark; the next start waits (``drain``), so its addresses
        and ports never meet the old endpoint's rules."""
        try:
            await self._teardown(gone["cid"], gone)
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
                if rec is not None and rec.extras.get(KEY, {}).get("netns") == gone["netns"]:
                    note.unlink(missing_ok=True)
                    continue
            self._start_reap(gone, note)

    async def drain(self) -> None:
        """Wait until every released endpoint is gone."""
        while self._reaping:
            await asyncio.gather(*list(self._reaping), return_exceptions=True)

    async def removed(self, c: Container, volumes: bool) -> None:
        await self.released(c)
        self.nets.store.release_all(c.id)
        self._locks.pop(c.id, None)

    # -- views ------------------------------------------------------------------------
    def decorate(self, c: Container, view: dict[str, Any], kind: str) -> None:
        st = c.extras.get(KEY)
        if not st:
            return
        special_id = ""
        if st["mode"] in SPECIAL:
            with contextlib.suppress(NotFound):
                special_id = self.nets.resolve(st["mode"]).id
        decorate_container(c, st, special_id, view, kind)

    def attached(self, nid: str) -> list[tuple[Container, dict[str, Any]]]:
        """Running containers with an endpoint on network ``nid``."""
        out = []
        for c in self.records.all():
            ep = c.extras.get(KEY, {}).get("endpoints", {}).get(nid)
            if ep:
                out.append((c, ep))
        return out
