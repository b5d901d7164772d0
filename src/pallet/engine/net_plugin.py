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
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any, Protocol

import msgspec

from pallet.engine.net_service import NetworkService
from pallet.engine.plugins import Plugin, StartContext
from pallet.engine.records import Container
from pallet.errors import CommandFailed, Conflict, Forbidden, InvalidArgument, NotFound
from pallet.network import netns, portmap
from pallet.network.netavark import Attachment, Netavark, restrict, setup_document
from pallet.network.records import NetworkRecord
from pallet.system.ids import new_id

log = logging.getLogger(__name__)
KEY = "network"
SPECIAL = ("host", "none")


class Records(Protocol):
    def resolve(self, ref: str) -> Container: ...

    def get(self, cid: str) -> Container | None: ...

    def save(self, c: Container) -> None: ...

    def all(self) -> list[Container]: ...


def _mode(c: Container) -> str:
    mode = c.host_config.NetworkMode or "default"
    return "bridge" if mode == "default" else mode


class NetworkPlugin(Plugin):
    name = KEY

    def __init__(self, nets: NetworkService, driver: Netavark, netns_dir: Path,
                 records: Records) -> None:
        self.nets = nets
        self.driver = driver
        self.netns_dir = netns_dir
        self.records = records
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

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
        out: set[tuple[str, int]] = set()
        for other in self.records.all():
            if other.id == cid:
                continue
            for p in other.extras.get(KEY, {}).get("ports", []):
                out.add((p["protocol"], p["host_port"]))
        return out

    async def prepare(self, c: Container, ctx: StartContext) -> None:
        async with self._locks[c.id]:
            st = c.extras.get(KEY)
            if st is None:
                await self.created(c)
                st = c.extras[KEY]
            if st.get("docs") or st.get("netns"):
                await self._teardown(c, st)
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

    async def _setup(self, c: Container, st: dict[str, Any], ctx: StartContext) -> None:
        hc = c.host_config
        nets = [self.nets.resolve(e["id"]) for e in st["networks"]]
        taken = self._taken_ports(c.id)
        exposed = list((c.config.ExposedPorts or {}).keys())
        bindings = msgspec.to_builtins(hc.PortBindings)
        ports = portmap.expand(bindings, exposed, hc.PublishAllPorts, taken)
        portmap.check_free(ports, taken)
        path = self.netns_dir / c.id
        st["netns"] = str(path)
        doc: dict[str, Any] | None = None
        try:
            await asyncio.to_thread(netns.create, path)
            atts = []
            for i, (entry, n) in enumerate(zip(st["networks"], nets, strict=True)):
                ip = self.nets.allocate(n, c.id, entry.get("ip", ""))
                aliases = [*entry.get("aliases", []), c.id[:12]]
                atts.append(Attachment(n, ip, f"eth{i}", aliases))
            doc = setup_document(c.id, c.name, atts, ports, hc.Dns or [])
            result = await asyncio.to_thread(self.driver.setup, str(path), doc)
        except BaseException:
            if doc is not None:
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self.driver.teardown, str(path), doc)
            await asyncio.to_thread(netns.delete, path)
            self.nets.store.release_all(c.id)
            st["netns"] = ""
            raise
        st["docs"] = [doc]
        st["ports"] = [p.to_wire() for p in ports]
        st["endpoints"] = {}
        for att in atts:
            st["endpoints"][att.network.id] = self._endpoint(att, result)
        self._fill(st, nets, result, ctx)

    def _endpoint(self, att: Attachment, result: dict[str, Any]) -> dict[str, Any]:
        iface = result.get(att.network.nv_name, {}).get("interfaces", {}).get(att.interface, {})
        prefix = int(att.network.subnet.split("/")[1])
        return {"ip": att.ip, "prefix": prefix, "gateway": att.network.gateway,
                "mac": iface.get("mac_address", ""), "endpoint": new_id(),
                "interface": att.interface}

    def _fill(self, st: dict[str, Any], nets: list[NetworkRecord], result: dict[str, Any],
              ctx: StartContext) -> None:
        ctx.netns_path = st["netns"]
        ctx.ips = [e["ip"] for e in st["endpoints"].values()][:1]
        servers: list[str] = []
        search: list[str] = []
        for n in nets:
            info = result.get(n.nv_name, {})
            servers += [s for s in info.get("dns_server_ips", []) if s not in servers]
            search += [s for s in info.get("dns_search_domains", []) if s not in search]
        if servers:
            # aardvark forwards other names to --dns servers or the host's resolvers
            ctx.dns = servers
            ctx.dns_search = list(dict.fromkeys([*ctx.dns_search, *search]))
        st["dns"], st["search"] = ctx.dns, ctx.dns_search

    async def _teardown(self, c: Container, st: dict[str, Any]) -> None:
        path = Path(st["netns"]) if st.get("netns") else self.netns_dir / c.id
        for doc in reversed(st.get("docs", [])):
            await self._teardown_doc(path, doc)
        await asyncio.to_thread(netns.delete, path)
        self.nets.store.release_all(c.id)
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

    async def released(self, c: Container) -> None:
        async with self._locks[c.id]:
            st = c.extras.get(KEY)
            if not st or not (st.get("docs") or st.get("netns")):
                return
            await self._teardown(c, st)
            if self.records.get(c.id) is not None:
                latest = self.records.get(c.id)
                if latest is not None:
                    latest.extras[KEY] = st
                    self.records.save(latest)

    async def removed(self, c: Container, volumes: bool) -> None:
        await self.released(c)
        self.nets.store.release_all(c.id)
        self._locks.pop(c.id, None)

    # -- connect / disconnect -------------------------------------------------------
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
            self.records.save(c)

    # -- views ------------------------------------------------------------------------
    def decorate(self, c: Container, view: dict[str, Any], kind: str) -> None:
        st = c.extras.get(KEY)
        if not st:
            return
        networks: dict[str, Any] = {}
        for e in st.get("networks", []):
            networks[e["name"]] = self._settings(c, e, st.get("endpoints", {}).get(e["id"]))
        if st["mode"] in SPECIAL:
            nid = ""
            with contextlib.suppress(NotFound):
                nid = self.nets.resolve(st["mode"]).id
            networks[st["mode"]] = self._settings(c, {"id": nid, "aliases": []}, None)
        exposed = list((c.config.ExposedPorts or {}).keys())
        if kind == "summary":
            view["Ports"] = portmap.ports_summary(st.get("ports", []), exposed)
            view["NetworkSettings"] = {"Networks": networks}
            return
        ns = view.setdefault("NetworkSettings", {})
        ns["Networks"] = networks
        ns["Ports"] = portmap.ports_view(st.get("ports", []), exposed)
        ns["SandboxKey"] = st.get("netns", "")
        ns["SandboxID"] = c.id if st.get("netns") else ""
        bridge = networks.get("bridge")
        if bridge:
            for key in ("EndpointID", "Gateway", "IPAddress", "IPPrefixLen", "MacAddress"):
                ns[key] = bridge[key]
            ns["Bridge"] = ""

    def _settings(self, c: Container, entry: dict[str, Any],
                  ep: dict[str, Any] | None) -> dict[str, Any]:
        aliases = list(entry.get("aliases", []))
        ep = ep or {}
        ipam_cfg = {"IPv4Address": entry["ip"]} if entry.get("ip") else None
        user = entry.get("name") not in ("bridge", "host", "none", None)
        return {
            "IPAMConfig": ipam_cfg, "Links": None,
            "Aliases": [*aliases, c.id[:12]] if user else None,
            "MacAddress": ep.get("mac", ""), "DriverOpts": None,
            "NetworkID": entry.get("id", ""), "EndpointID": ep.get("endpoint", ""),
            "Gateway": ep.get("gateway", ""), "IPAddress": ep.get("ip", ""),
            "IPPrefixLen": ep.get("prefix", 0), "IPv6Gateway": "", "GlobalIPv6Address": "",
            "GlobalIPv6PrefixLen": 0,
            "DNSNames": [c.name, *aliases, c.id[:12]] if user else None,
        }

    def attached(self, nid: str) -> list[tuple[Container, dict[str, Any]]]:
        """Running containers with an endpoint on network ``nid``."""
        out = []
        for c in self.records.all():
            ep = c.extras.get(KEY, {}).get("endpoints", {}).get(nid)
            if ep:
                out.append((c, ep))
        return out
