"""Connecting a container to a network, and disconnecting it, at any time.

Mixed into ``NetworkPlugin``. A stopped container only changes what it will join
at its next start; a running one gets (or loses) the endpoint at once, through
netavark on its pinned namespace.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pallet.errors import Forbidden, InvalidArgument
from pallet.network.netavark import Attachment, Netavark, restrict, setup_document

if TYPE_CHECKING:
    from pallet.engine.net_plugin import DnsSink, Records
    from pallet.engine.net_service import NetworkService
    from pallet.engine.records import Container

KEY = "network"
SPECIAL = ("host", "none")


class LiveConnect:
    if TYPE_CHECKING:
        nets: NetworkService
        driver: Netavark
        records: Records
        _locks: dict[str, asyncio.Lock]

        async def created(self, c: Container) -> None: ...

        def _endpoint(self, att: Attachment, result: dict[str, Any]) -> dict[str, Any]: ...

        async def _teardown_doc(self, path: Path, doc: dict[str, Any]) -> None: ...

        def dns_servers(self, c: Container, st: dict[str, Any]) -> list[str]: ...

        dns_sink: DnsSink | None

    async def connect(self, net_ref: str, ref: str, endpoint: dict[str, Any] | None) -> None:
        n = self.nets.resolve(net_ref)
        c = self.records.resolve(ref)
        async with self._locks[c.id]:
            c = self.records.resolve(c.id)
            st = c.extras.get(KEY)
            if st is None:
                await self.created(c)
                st = c.extras[KEY]
            if st["mode"] in SPECIAL or st["mode"].startswith("container:") or n.driver in (
                    "host", "null"):
                raise Forbidden("container sharing network namespace with another container "
                                "or host cannot be connected to any other network")
            if any(e["id"] == n.id for e in st["networks"]):
                raise Forbidden(f"endpoint with name {c.name} already exists in network "
                                f"{n.name}")
            ep = endpoint or {}
            aliases = list(ep.get("Aliases") or [])
            ip = str((ep.get("IPAMConfig") or {}).get("IPv4Address") or "")
            if (aliases or ip) and n.builtin:
                raise InvalidArgument("network-scoped aliases and IPs are only supported for "
                                      "user-defined networks")
            entry = {"id": n.id, "name": n.name, "aliases": aliases, "ip": ip}
            if c.running and st.get("netns"):
                used = {e["interface"] for e in st["endpoints"].values()}
                iface = next(f"eth{i}" for i in range(64) if f"eth{i}" not in used)
                addr = self.nets.allocate(n, c.id, ip)
                att = Attachment(n, addr, iface, [*aliases, c.id[:12]])
                doc = setup_document(c.id, c.name, [att], (), c.host_config.Dns or [])
                try:
                    result = await asyncio.to_thread(self.driver.setup, st["netns"], doc)
                except BaseException:
                    self.nets.release(n.id, c.id)
                    raise
                st["docs"].append(doc)
                st["endpoints"][n.id] = self._endpoint(att, result)
            st["networks"].append(entry)
            self._resolvers_changed(c, st)
            self.records.save(c)

    async def disconnect(self, net_ref: str, ref: str, force: bool) -> None:
        n = self.nets.resolve(net_ref)
        c = self.records.resolve(ref)
        async with self._locks[c.id]:
            c = self.records.resolve(c.id)
            st = c.extras.get(KEY) or {}
            entries = [e for e in st.get("networks", []) if e["id"] == n.id]
            if not entries:
                raise Forbidden(f"container {c.id} is not connected to network {n.name}")
            if n.id in st.get("endpoints", {}):
                path = Path(st["netns"])
                kept = []
                for doc in st["docs"]:
                    if n.nv_name in doc["networks"]:
                        last = len(doc["networks"]) == 1
                        await self._teardown_doc(path, restrict(doc, [n.nv_name], last))
                        doc = restrict(doc, [k for k in doc["networks"] if k != n.nv_name],
                                       not last)
                    if doc["networks"]:
                        kept.append(doc)
                st["docs"] = kept
                st["endpoints"].pop(n.id, None)
                if not any(p for d in kept for p in (d.get("port_mappings") or [])):
                    st["ports"] = []
                self.nets.release(n.id, c.id)
            st["networks"] = [e for e in st["networks"] if e["id"] != n.id]
            self._resolvers_changed(c, st)
            self.records.save(c)

    def _resolvers_changed(self, c: Container, st: dict[str, Any]) -> None:
        """Point a running container's resolv.conf at the networks it has now (dockerd's
        embedded DNS serves a network joined later, too)."""
        if not (c.running and st.get("netns")) or self.dns_sink is None:
            return
        servers = self.dns_servers(c, st)
        if servers != st.get("dns"):
            st["dns"] = servers
            self.dns_sink(c, servers, list(st.get("search") or c.host_config.DnsSearch or []))
