"""The container side of networking: the network plugin's lifecycle hooks.

It composes its collaborators, each built by the daemon's wiring: what a container
asks for (``wants``), the endpoint a start sets up (``endpoint``), the
teardowns and their crash notes (``reaper``), live connect and disconnect
(``live``), and the views (``views``). The per-container locks are shared
by the plugin, the setup and live connect; the state is ``pluginstate.NetworkState``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from pallet.api.models import EndpointSettings
from pallet.api.view_containers import ContainerView
from pallet.engine.netplug.endpoint import EndpointSetup, PortClaims
from pallet.engine.netplug.live import LiveConnect
from pallet.engine.netplug.reaper import EndpointReaper, TeardownNote
from pallet.engine.netplug.service import NetworkService
from pallet.engine.netplug.spares import SparePool
from pallet.engine.netplug.views import decorate_container
from pallet.engine.netplug.wants import KEY, SPECIAL, initial_state
from pallet.engine.plugins import Plugin, StartContext
from pallet.engine.pluginstate import Endpoint, NetworkState
from pallet.engine.records import Container
from pallet.errors import Conflict, NotFound

log = logging.getLogger(__name__)


class Records(Protocol):
    def resolve(self, ref: str) -> Container: ...

    def get(self, cid: str) -> Container | None: ...

    def save(self, c: Container) -> None: ...

    def all(self) -> list[Container]: ...


class NetworkPlugin(Plugin):
    name = KEY

    def __init__(self, nets: NetworkService, records: Records, setup: EndpointSetup,
                 live: LiveConnect, reaper: EndpointReaper, claims: PortClaims,
                 locks: dict[str, asyncio.Lock], spares: SparePool | None = None) -> None:
        self.nets = nets
        self.records = records
        self.setup = setup
        self.live = live
        self.reaper = reaper
        self.claims = claims
        self.locks = locks
        self.spares = spares

    # -- created: what the container asks for -----------------------------------
    async def created(self, c: Container) -> None:
        c.extras.network = initial_state(c, self.nets, self.records)

    async def connect(self, net_ref: str, ref: str, endpoint: EndpointSettings | None) -> None:
        await self.live.connect(net_ref, ref, endpoint)

    async def disconnect(self, net_ref: str, ref: str, force: bool) -> None:
        await self.live.disconnect(net_ref, ref, force)

    # -- start / stop ---------------------------------------------------------------
    async def prepare(self, c: Container, ctx: StartContext) -> None:
        await self.reaper.drain()
        async with self.locks[c.id]:
            st = c.extras.network
            if st is None:
                st = c.extras.network = initial_state(c, self.nets, self.records)
            if st.set_up:
                await self.reaper.teardown(c.id, st.netns, st.docs)
                st.forget_endpoint()
            mode = st.mode
            if mode in SPECIAL:
                return
            if mode.startswith("container:"):
                self._join(st, ctx)
                return
            await self.setup.setup(c, st, ctx)

    def _join(self, st: NetworkState, ctx: StartContext) -> None:
        other_id = st.mode.split(":", 1)[1]
        other = self.records.get(other_id)
        if other is None:
            raise NotFound(f"No such container: {other_id}")
        if not other.running:
            raise Conflict(f"cannot join network namespace of a non running container: "
                           f"{other.id}")
        ost = other.extras.network or NetworkState(mode="")
        if ost.mode == "host":
            ctx.netns_path = "host"
        else:
            ctx.netns_path = ost.netns or f"/proc/{other.pid}/ns/net"
        ctx.ips = [e.ip for e in ost.endpoints.values()]
        ctx.dns = ctx.dns or list(ost.dns)
        ctx.dns_search = ctx.dns_search or list(ost.search)

    async def started(self, c: Container) -> None:
        self.claims.drop(c.id)  # its record, saved by now, holds its ports
        self.reaper.forget_start(c.id)  # ... and its endpoint
        if self.spares is not None:
            self.spares.refill()

    async def released(self, c: Container) -> None:
        self.claims.drop(c.id)
        self.reaper.forget_start(c.id)
        if self.spares is not None:
            self.spares.refill()
        async with self.locks[c.id]:
            st = c.extras.network
            if st is None or not st.set_up:
                return
            gone = TeardownNote(cid=c.id, netns=st.netns, docs=list(st.docs))
            # on disk before the record forgets it: a palletd killed mid-teardown finishes
            # it at its next start (resume)
            note = self.reaper.note(gone)
            st.forget_endpoint()
            latest = self.records.get(c.id)
            if latest is not None:
                latest.extras.network = st
                self.records.save(latest)
        self.reaper.reap(gone, note)

    async def resume(self) -> None:
        await self.reaper.resume()

    async def drain(self) -> None:
        await self.reaper.drain()

    async def removed(self, c: Container, volumes: bool) -> None:
        await self.released(c)
        self.nets.store.release_all(c.id)
        self.locks.pop(c.id, None)

    # -- views ------------------------------------------------------------------------
    def decorate(self, c: Container, view: ContainerView) -> None:
        st = c.extras.network
        if st is None:
            return
        special_id = ""
        if st.mode in SPECIAL:
            with contextlib.suppress(NotFound):
                special_id = self.nets.resolve(st.mode).id
        decorate_container(c, st, special_id, view)

    def attached(self, nid: str) -> list[tuple[Container, Endpoint]]:
        """Running containers with an endpoint on network ``nid``."""
        out = []
        for c in self.records.all():
            ep = c.extras.network.endpoints.get(nid) if c.extras.network else None
            if ep is not None:
                out.append((c, ep))
        return out
