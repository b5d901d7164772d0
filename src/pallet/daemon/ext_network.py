"""Extension: networks (netavark + aardvark-dns), published ports and volumes.

The volume plugin runs after the network one; both are independent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict

from pallet.api.models import EndpointSettings
from pallet.api.netmodels import NetworkCreate
from pallet.api.responses import NetworkCreateResponse, NetworksPruned
from pallet.api.view_networks import Network
from pallet.daemon.parts import Part, PartContext
from pallet.engine.links import LinksPlugin
from pallet.engine.netplug.endpoint import EndpointSetup, PortClaims
from pallet.engine.netplug.keeper import BridgeKeeper
from pallet.engine.netplug.live import LiveConnect
from pallet.engine.netplug.plugin import NetworkPlugin
from pallet.engine.netplug.reaper import EndpointReaper
from pallet.engine.netplug.service import NetworkService
from pallet.engine.netplug.spares import SparePool
from pallet.engine.netplug.views import network_view
from pallet.engine.volplug.plugin import VolumePlugin
from pallet.engine.volplug.service import VolumeService
from pallet.errors import NotFound
from pallet.network.config import net_config
from pallet.network.netavark import Netavark
from pallet.network.records import NetworkStore
from pallet.notation.filters import Filters
from pallet.server import routes_networks, routes_volumes
from pallet.volumes.store import VolumeStore


class NetworkAPI:
    """The ``NetworkBackend`` of the routes, over the service and the plugin."""

    def __init__(self, ctx: PartContext, nets: NetworkService,
                 plugin: NetworkPlugin) -> None:
        self.ctx = ctx
        self.nets = nets
        self.plugin = plugin

    def _view(self, nid: str, detail: bool) -> Network:
        n = self.nets.store.get(nid)
        if n is None:
            raise NotFound(f"network {nid} not found")
        return network_view(n, self.plugin.attached(n.id) if detail else ())

    async def list(self, filters: Filters) -> list[Network]:
        return [network_view(n) for n in sorted(self.nets.list(filters),
                                                key=lambda n: n.created)]

    async def inspect(self, ref: str, verbose: bool, scope: str) -> Network:
        return self._view(self.nets.resolve(ref).id, True)

    async def create(self, req: NetworkCreate) -> NetworkCreateResponse:
        n = self.nets.create(req)
        self.ctx.events.publish("network", "create", n.id, {"name": n.name, "type": n.driver})
        return NetworkCreateResponse(Id=n.id, Warning="")

    async def remove(self, ref: str) -> None:
        n = self.nets.resolve(ref)
        await self.plugin.drain()  # endpoints of containers that just left
        self.nets.remove(n.id, lambda cid: None)
        self.ctx.events.publish("network", "destroy", n.id, {"name": n.name, "type": n.driver})

    async def connect(self, ref: str, container: str, endpoint: EndpointSettings | None) -> None:
        await self.plugin.connect(ref, container, endpoint)
        n = self.nets.resolve(ref)
        c = self.ctx.containers.resolve(container)
        self.ctx.events.publish("network", "connect", n.id,
                                {"name": n.name, "type": n.driver, "container": c.id})

    async def disconnect(self, ref: str, container: str, force: bool) -> None:
        await self.plugin.disconnect(ref, container, force)
        n = self.nets.resolve(ref)
        with contextlib.suppress(NotFound):
            c = self.ctx.containers.resolve(container)
            self.ctx.events.publish("network", "disconnect", n.id,
                                    {"name": n.name, "type": n.driver, "container": c.id})

    async def prune(self, filters: Filters) -> NetworksPruned:
        await self.plugin.drain()
        return NetworksPruned(NetworksDeleted=self.nets.prune(filters) or None)


def install(ctx: PartContext) -> Part:
    paths = ctx.paths
    cfg = ctx.config
    nets = NetworkService(NetworkStore(ctx.db),
                          net_config(paths.run, cfg.bridge_name, cfg.bridge_subnet))
    nets.ensure_defaults()
    driver = Netavark(paths.run / "networks", paths.run / "netavark.lock")
    spares = SparePool(nets, driver, paths.netns, paths.run / "networks" / "spares")
    records = ctx.containers.store
    locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)  # per container
    reaper = EndpointReaper(driver, paths.netns, nets.store, records,
                            reap_dir=paths.run / "networks" / "reaping")
    claims = PortClaims(records)
    setup = EndpointSetup(nets, driver, paths.netns, locks, claims, reaper, spares)
    live = LiveConnect(nets, driver, records, locks, setup, reaper,
                       dns_sink=ctx.containers.update_dns)
    plugin = NetworkPlugin(nets, records, setup, live, reaper, claims, locks, spares)
    api = NetworkAPI(ctx, nets, plugin)
    vstore = VolumeStore(ctx.db, paths.volumes)
    volumes = VolumeService(vstore, ctx.containers.store)
    vplugin = VolumePlugin(vstore, ctx.containers.store, ctx.containers.rootfs_path)
    keeper = BridgeKeeper(nets, driver, paths.netns, paths.run / "networks" / "keeper.json")
    ext = Part(name="network",
                    routes=[*routes_networks.make_routes(api),
                            *routes_volumes.make_routes(volumes)],
                    plugins=[plugin, vplugin, LinksPlugin(records)],
                    on_start=[keeper.up, spares.up, plugin.resume],
                    on_stop=[spares.down, plugin.drain, keeper.down])
    return ext
