"""A running container's endpoints: the netns, addresses and netavark's setup.

:class:`EndpointSetup` is the network plugin's collaborator for a start. The netns
is pinned and the addresses taken at once; netavark runs deferred
(``StartContext.defer``), alongside the runtime's create, since the two meet only at
the netns. A warm endpoint (``spares``)
replaces all of it for a container on the default bridge that asks for nothing
particular. The resolvers a container gets are aardvark's on its DNS-enabled
networks (predicted from the gateways, then taken from netavark's answer).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, Protocol

import msgspec

from pallet.engine.netplug.reaper import EndpointReaper
from pallet.engine.netplug.service import NetworkService
from pallet.engine.netplug.spares import SparePool
from pallet.engine.netplug.wants import linked_as
from pallet.engine.plugins import StartContext
from pallet.engine.pluginstate import Endpoint, NetworkState
from pallet.engine.records import Container
from pallet.errors import NotFound
from pallet.network import netns, portmap
from pallet.network.netavark import Attachment, Netavark, network_info, setup_documents
from pallet.network.netdoc import PortMapping, SetupDocument, SetupResult, SetupStatus
from pallet.network.records import NetworkRecord
from pallet.system.ids import new_id


class Saved(Protocol):
    def all(self) -> list[Container]: ...


def needs_interfaces(sysctls: dict[str, str]) -> bool:
    """Whether a sysctl names one of the container's interfaces (it must exist first)."""
    for key in sysctls:
        parts = key.replace("/", ".").split(".")
        if parts[:1] == ["net"] and len(parts) > 3 and parts[2] in ("conf", "neigh") \
                and parts[3] not in ("all", "default", "lo"):
            return True
    return False



class PortClaims:
    """Host ports taken: those of saved records, and those a start in flight chose
    before its record was saved (two starts at once never pick the same port)."""

    def __init__(self, records: Saved) -> None:
        self.records = records
        self._starting: dict[str, list[PortMapping]] = {}

    def taken(self, cid: str) -> set[tuple[str, int]]:
        lists = [other.extras.network.ports for other in self.records.all()
                 if other.id != cid and other.extras.network is not None]
        lists += [ports for other, ports in self._starting.items() if other != cid]
        return {(p.protocol, p.host_port) for ports in lists for p in ports}

    def claim(self, cid: str, ports: list[PortMapping]) -> None:
        self._starting[cid] = ports

    def drop(self, cid: str) -> None:
        self._starting.pop(cid, None)


class EndpointSetup:
    def __init__(self, nets: NetworkService, driver: Netavark, netns_dir: Path,
                 locks: dict[str, asyncio.Lock], claims: PortClaims, reaper: EndpointReaper,
                 spares: SparePool | None = None) -> None:
        self.nets = nets
        self.driver = driver
        self.netns_dir = netns_dir
        self.locks = locks  # per container, shared with the plugin and live connect
        self.claims = claims
        self.reaper = reaper
        self.spares = spares

    async def setup(self, c: Container, st: NetworkState, ctx: StartContext) -> None:
        """Pin the netns and take the addresses now; netavark runs deferred, alongside the
        runtime's create (they meet only at the netns), unless an interface sysctl needs
        eth0 to exist when the runtime writes it."""
        hc = c.host_config
        nets = [self.nets.resolve(e.id) for e in st.networks]
        taken = self.claims.taken(c.id)
        exposed = list((c.config.ExposedPorts or {}).keys())
        bindings = msgspec.to_builtins(hc.PortBindings)
        ports = portmap.expand(bindings, exposed, hc.PublishAllPorts, taken)
        portmap.check_free(ports, taken, c.name)
        self.claims.claim(c.id, ports)  # before the first await
        if not ports and self._take_spare(c, st, nets, ctx):
            return
        # a path of its own per start: a teardown still pending for an earlier one never
        # meets it
        path = self.netns_dir / f"{c.id}-{new_id()[:8]}"
        st.netns = str(path)
        try:
            atts = []
            for i, (entry, n) in enumerate(zip(st.networks, nets, strict=True)):
                ip = self.nets.allocate(n, c.id, entry.ip)
                ip6 = self.nets.allocate6(n, c.id, entry.ip6)
                aliases = [*entry.aliases, c.id[:12],
                           *linked_as(c, n.id, self.claims.records.all())]
                atts.append(Attachment(n, ip, f"eth{i}", aliases, entry.mac, ip6))
            docs = setup_documents(c.id, c.name, atts, ports, hc.Dns or [])
            # noted before anything exists: a palletd killed before the record holds the
            # endpoint tears it down at its next start
            self.reaper.note_start(c.id, path, docs)
            await asyncio.to_thread(netns.create, path)
        except BaseException:
            await self._undo_setup(c, st, path, [])
            raise
        st.ports = list(ports)
        st.endpoints = {att.network.id: self.endpoint(att, {}) for att in atts}
        # what netavark will answer: aardvark listens on the gateway of DNS-enabled networks
        predicted = {n.nv_name: SetupStatus(dns_server_ips=[n.gateway]) for n in nets
                     if network_info(n).dns_enabled}
        self._fill(st, nets, predicted, ctx)
        work = self._run_setup(c, st, ctx, path, docs, atts, nets)
        if needs_interfaces(hc.Sysctls or {}):
            await work
        else:
            ctx.defer(self._locked(c.id, work))

    async def _locked(self, cid: str, work: Coroutine[Any, Any, None]) -> None:
        async with self.locks[cid]:
            await work

    def _take_spare(self, c: Container, st: NetworkState, nets: list[NetworkRecord],
                    ctx: StartContext) -> bool:
        """Use a warm endpoint (spares) if the container asks for nothing particular."""
        entry = st.networks[0]
        plain = (st.mode == "bridge" and len(nets) == 1 and not entry.ip
                 and not nets[0].subnet6
                 and not entry.aliases and not entry.mac
                 and not needs_interfaces(c.host_config.Sysctls or {}))
        spare = self.spares.take(nets[0].id, c.id) if plain and self.spares else None
        if spare is None:
            return False
        self.reaper.note_start(c.id, spare.path, [spare.doc])
        att = Attachment(nets[0], spare.ip, "eth0", [])
        st.netns, st.docs, st.ports = str(spare.path), [spare.doc], []
        st.endpoints = {nets[0].id: self.endpoint(att, spare.result)}
        self._fill(st, nets, spare.result, ctx)
        return True

    async def _run_setup(self, c: Container, st: NetworkState, ctx: StartContext, path: Path,
                         docs: list[SetupDocument], atts: list[Attachment],
                         nets: list[NetworkRecord]) -> None:
        result: SetupResult = {}
        for i, doc in enumerate(docs):
            try:
                result.update(await asyncio.to_thread(self.driver.setup, str(path), doc))
            except BaseException:
                await self._undo_setup(c, st, path, docs[:i + 1])
                raise
        st.docs = list(docs)
        for att in atts:
            st.endpoints[att.network.id] = self.endpoint(att, result)
        self._fill(st, nets, result, ctx)

    async def _undo_setup(self, c: Container, st: NetworkState, path: Path,
                          docs: list[SetupDocument]) -> None:
        for doc in reversed(docs):
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.driver.teardown, str(path), doc)
        await asyncio.to_thread(netns.delete, path)
        self.nets.store.release_all(c.id)
        self.reaper.forget_start(c.id)
        st.forget_endpoint()

    def endpoint(self, att: Attachment, result: SetupResult) -> Endpoint:
        """The endpoint of ``att`` from netavark's answer ``result`` ({} before it came)."""
        status = result.get(att.network.nv_name)
        iface = (status.interfaces or {}).get(att.interface) if status else None
        out = Endpoint(ip=att.ip, prefix=int(att.network.subnet.split("/")[1]),
                       gateway=att.network.gateway, mac=iface.mac_address if iface else "",
                       endpoint=new_id(), interface=att.interface)
        if att.ip6:
            out.ip6, out.gateway6 = att.ip6, att.network.gateway6
            out.prefix6 = int(att.network.subnet6.split("/")[1])
        return out

    def _fill(self, st: NetworkState, nets: list[NetworkRecord], result: SetupResult,
              ctx: StartContext) -> None:
        ctx.netns_path = st.netns
        ctx.ips = [e.ip for e in st.endpoints.values()][:1]
        servers: list[str] = []
        for n in nets:
            status = result.get(n.nv_name)
            found = (status.dns_server_ips or []) if status else []
            servers += [s for s in found if s not in servers]
        if servers:
            # aardvark forwards other names to --dns servers or the host's resolvers; its
            # search domain (dns.podman) is left out: bare names resolve, as with dockerd
            ctx.dns = servers
        st.dns, st.search = list(ctx.dns), list(ctx.dns_search)

    def dns_servers(self, c: Container, st: NetworkState) -> list[str]:
        """The resolvers of a running container: aardvark on each DNS-enabled network it
        has an endpoint on, else its ``--dns`` servers (else the host's, when empty)."""
        servers: list[str] = []
        for e in st.networks:
            if e.id not in st.endpoints:
                continue
            with contextlib.suppress(NotFound):
                n = self.nets.resolve(e.id)
                if network_info(n).dns_enabled and n.gateway not in servers:
                    servers.append(n.gateway)
        return servers or list(c.host_config.Dns or [])
