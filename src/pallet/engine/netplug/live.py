"""Connecting a container to a network, and disconnecting it, at any time.

:class:`LiveConnect` is the network plugin's collaborator for ``network connect`` and
``disconnect``. A stopped container only changes what it will join
at its next start; a running one gets (or loses) the endpoint at once, through
netavark on its pinned namespace.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from pallet.api.models import EndpointSettings
from pallet.engine.netplug.endpoint import EndpointSetup
from pallet.engine.netplug.reaper import EndpointReaper
from pallet.engine.netplug.service import NetworkService
from pallet.engine.netplug.wants import SPECIAL, entry, initial_state
from pallet.engine.pluginstate import NetworkState
from pallet.engine.records import Container
from pallet.errors import CommandFailed, Forbidden
from pallet.network.netavark import (
    Attachment,
    Netavark,
    gateway,
    restrict,
    setup_document,
)
from pallet.network.netdoc import SetupDocument

log = logging.getLogger(__name__)

# (container, nameservers, search domains): the container service's resolv.conf writer
DnsSink = Callable[[Container, list[str], list[str]], None]


class Records(Protocol):
    def resolve(self, ref: str) -> Container: ...

    def save(self, c: Container) -> None: ...


class LiveConnect:
    def __init__(self, nets: NetworkService, driver: Netavark, records: Records,
                 locks: dict[str, asyncio.Lock], setup: EndpointSetup, reaper: EndpointReaper,
                 dns_sink: DnsSink | None = None) -> None:
        self.nets = nets
        self.driver = driver
        self.records = records
        self.locks = locks  # per container, shared with the plugin and the setup
        self.setup = setup
        self.reaper = reaper
        self.dns_sink = dns_sink  # rewrites a running container's resolv.conf

    async def connect(self, net_ref: str, ref: str, endpoint: EndpointSettings | None) -> None:
        n = self.nets.resolve(net_ref)
        c = self.records.resolve(ref)
        async with self.locks[c.id]:
            c = self.records.resolve(c.id)
            st = c.extras.network
            if st is None:
                st = c.extras.network = initial_state(c, self.nets, self.records)
            if st.mode in SPECIAL or st.mode.startswith("container:") or n.driver in (
                    "host", "null"):
                raise Forbidden("container sharing network namespace with another container "
                                "or host cannot be connected to any other network")
            if any(e.id == n.id for e in st.networks):
                raise Forbidden(f"endpoint with name {c.name} already exists in network "
                                f"{n.name}")
            wanted = entry(n, endpoint)
            if c.running and st.netns:
                used = {e.interface for e in st.endpoints.values()}
                iface = next(f"eth{i}" for i in range(64) if f"eth{i}" not in used)
                addr = self.nets.allocate(n, c.id, wanted.ip)
                addr6 = self.nets.allocate6(n, c.id, wanted.ip6)
                att = Attachment(n, addr, iface, [*wanted.aliases, c.id[:12]], wanted.mac, addr6)
                doc = setup_document(c.id, c.name, [att], (), c.host_config.Dns or [])
                try:
                    result = await asyncio.to_thread(self.driver.setup, st.netns, doc)
                except BaseException:
                    self.nets.release(n.id, c.id)
                    raise
                st.docs.append(doc)
                st.endpoints[n.id] = self.setup.endpoint(att, result)
            st.networks.append(wanted)
            self._resolvers_changed(c, st)
            self.records.save(c)

    async def disconnect(self, net_ref: str, ref: str, force: bool) -> None:
        n = self.nets.resolve(net_ref)
        c = self.records.resolve(ref)
        async with self.locks[c.id]:
            c = self.records.resolve(c.id)
            st = c.extras.network
            if st is None or not any(e.id == n.id for e in st.networks):
                raise Forbidden(f"container {c.id} is not connected to network {n.name}")
            if n.id in st.endpoints:
                path = Path(st.netns)
                kept = []
                for doc in st.docs:
                    if n.nv_name in doc.networks:
                        last = len(doc.networks) == 1
                        await self.reaper.teardown_doc(path, restrict(doc, [n.nv_name], last))
                        doc = restrict(doc, [k for k in doc.networks if k != n.nv_name],
                                       not last)
                    if doc.networks:
                        kept.append(doc)
                st.endpoints.pop(n.id, None)
                if st.ports and kept and not any(d.port_mappings for d in kept):
                    kept = await self._move_ports(c, st, kept)
                st.docs = kept
                if not any(d.port_mappings for d in kept):
                    st.ports = []
                self.nets.release(n.id, c.id)
            st.networks = [e for e in st.networks if e.id != n.id]
            self._resolvers_changed(c, st)
            self.records.save(c)

    async def _move_ports(self, c: Container, st: NetworkState,
                          kept: list[SetupDocument]) -> list[SetupDocument]:
        """The documents once the published ports follow the gateway to the network next
        in line, as Docker's do when the gateway's network is disconnected: netavark maps
        ports only while it makes an interface, so that network's endpoint is made again,
        with the ports (its address, aliases and MAC address stay)."""
        atts = [self._attachment(doc, nv) for doc in kept for nv in doc.networks]
        gw = gateway(atts)
        if gw is None:
            return kept
        nv = gw.network.nv_name
        held = next(doc for doc in kept if nv in doc.networks)
        await self.reaper.teardown_doc(Path(st.netns), restrict(held, [nv], False))
        rest = [restrict(d, [k for k in d.networks if k != nv], False) for d in kept]
        rest = [d for d in rest if d.networks]
        doc = setup_document(c.id, c.name, [gw], st.ports, c.host_config.Dns or [])
        try:
            result = await asyncio.to_thread(self.driver.setup, st.netns, doc)
        except CommandFailed as e:  # the disconnect stands; that network is lost with the ports
            log.warning("moving the ports of %s to %s failed: %s", c.name, gw.network.name, e)
            st.endpoints.pop(gw.network.id, None)
            return rest
        st.endpoints[gw.network.id] = self.setup.endpoint(gw, result)
        return [doc, *rest]

    def _attachment(self, doc: SetupDocument, nv: str) -> Attachment:
        opts = doc.networks[nv]
        n = self.nets.resolve(doc.network_info[nv].id)
        ip6 = opts.static_ips[1] if len(opts.static_ips) > 1 else ""
        return Attachment(n, opts.static_ips[0], opts.interface_name, opts.aliases,
                          opts.static_mac, ip6)

    def _resolvers_changed(self, c: Container, st: NetworkState) -> None:
        """Point a running container's resolv.conf at the networks it has now (dockerd's
        embedded DNS serves a network joined later, too)."""
        if not (c.running and st.netns) or self.dns_sink is None:
            return
        servers = self.setup.dns_servers(c, st)
        if servers != st.dns:
            st.dns = servers
            self.dns_sink(c, servers, list(st.search or c.host_config.DnsSearch or []))
