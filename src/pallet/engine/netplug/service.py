"""Networks as dockerd manages them: create, inspect, list, remove, prune.

Records and IP allocations live in the ``NetworkStore``; the container side
(connect, disconnect, setup at start) is ``netplug.plugin``. The three builtin
networks (``bridge``, ``host``, ``none``) are created on first start.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable
from ipaddress import IPv4Network

from pallet.api.netmodels import IPAMConfig, NetworkCreate
from pallet.engine.records import now_rfc3339
from pallet.errors import Conflict, Forbidden, InvalidArgument
from pallet.network import ipam, ipam6
from pallet.network.bridges import check_options, claim_bridge
from pallet.network.config import NetConfig
from pallet.network.records import NetworkRecord, NetworkStore
from pallet.notation.filters import Filters, dangling_wanted, labels_match
from pallet.notation.prunefilter import prune_filter
from pallet.system.ids import new_id

DRIVERS = ("bridge", "macvlan")

# container ID -> container name, for views (set by the plugin's owner)
Namer = Callable[[str], str | None]



def _parse_time(value: str) -> float:
    from pallet.engine.views import parse_time

    return parse_time(value)


class NetworkService:
    def __init__(self, store: NetworkStore, config: NetConfig) -> None:
        self.store = store
        self.config = config
        self.lock = threading.RLock()  # IPAM and subnet choices

    # -- builtin networks ----------------------------------------------------------
    def ensure_defaults(self) -> None:
        for name, driver in (("bridge", "bridge"), ("host", "host"), ("none", "null")):
            if self.store.by_name(name) is not None:
                continue
            nid = new_id()
            rec = NetworkRecord(id=nid, name=name, driver=driver, created=now_rfc3339(),
                                builtin=True, nv_name="pl" + nid[:12])
            if name == "bridge":
                if self.config.bridge_chosen:  # the admin's name: never a host bridge
                    claim_bridge(self.config.bridge_name, {})
                subnet = ipam.parse_subnet(self.config.bridge_subnet)
                rec.subnet, rec.gateway = str(subnet), str(ipam.gateway_of(subnet))
                rec.interface = self.config.bridge_name
                rec.dns = False  # Docker: no name resolution on the default bridge
                rec.options = {
                    "com.docker.network.bridge.default_bridge": "true",
                    "com.docker.network.bridge.enable_icc": "true",
                    "com.docker.network.bridge.enable_ip_masquerade": "true",
                    "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
                    "com.docker.network.bridge.name": self.config.bridge_name,
                    "com.docker.network.driver.mtu": "1500",
                }
            self.store.add(rec)

    # -- create ------------------------------------------------------------------
    def create(self, req: NetworkCreate) -> NetworkRecord:
        """A network as the create body asks (the route decodes it with
        :func:`pallet.api.netmodels.wire_body`)."""
        name = req.Name
        if not name:
            raise InvalidArgument("network name cannot be empty")
        if not name.isprintable() or "/" in name:  # Docker takes any name ("test 01")
            raise InvalidArgument(f"invalid network name {name!r}")
        driver = req.Driver or "bridge"
        if driver in ("host", "null", "none"):
            raise Forbidden(f"only one instance of \"{driver}\" network is allowed")
        if driver == "overlay":  # dockerd: "This node is not a swarm manager"
            raise InvalidArgument("overlay networks need swarm mode, which pallet does not "
                                  "provide: on one host use the bridge driver")
        if driver not in DRIVERS:
            raise InvalidArgument(f"plugin \"{driver}\" not found")
        if req.ConfigOnly or (req.ConfigFrom and req.ConfigFrom.Network):
            raise InvalidArgument("config-only networks (--config-only, --config-from) are "
                                  "not supported by pallet")
        if self.store.by_name(name) is not None:
            raise Conflict(f"network with name {name} already exists")
        options = dict(req.Options or {})
        check_options(options)
        labels = dict(req.Labels or {})
        configs = (req.IPAM.Config if req.IPAM else None) or []
        v6 = [x for x in configs if ipam6.is_ipv6(x.Subnet)]
        v4 = [x for x in configs if not ipam6.is_ipv6(x.Subnet)]
        if len(v4) > 1 or len(v6) > 1:
            raise InvalidArgument("pallet supports one IPv4 and one IPv6 subnet per network")
        cfg = v4[0] if v4 else IPAMConfig()
        nid = new_id()
        with self.lock:
            dual = self._subnet6(nid, v6[0] if v6 else None, bool(req.EnableIPv6))
            subnet = self._subnet(cfg.Subnet)
            gateway = (ipam.parse_address(cfg.Gateway, "gateway") if cfg.Gateway
                       else ipam.gateway_of(subnet))
            if gateway not in subnet:
                raise InvalidArgument(f"gateway {gateway} is not in subnet {subnet}")
            ip_range = ""
            if cfg.IPRange:
                rng = ipam.parse_subnet(cfg.IPRange)
                if not rng.subnet_of(subnet):
                    raise InvalidArgument(f"ip range {rng} is not in subnet {subnet}")
                ip_range = str(rng)
            interface = "pl-" + nid[:12]
            if driver == "bridge" and "com.docker.network.bridge.name" in options:
                interface = options["com.docker.network.bridge.name"]
                claim_bridge(interface, {n.interface: n.name for n in self.store.all()
                                         if n.driver == "bridge"})
            if driver == "macvlan":
                interface = options.get("parent") or _default_route_interface()
            aux = {}
            for host, addr in (cfg.AuxiliaryAddresses or {}).items():
                ip = ipam.parse_address(addr, "auxiliary address")
                if ip not in subnet:
                    raise InvalidArgument(f"auxiliary address {ip} is not in subnet {subnet}")
                aux[host] = str(ip)
            rec = NetworkRecord(
                id=nid, name=name, driver=driver, created=now_rfc3339(), subnet=str(subnet),
                gateway=str(gateway), ip_range=ip_range, internal=req.Internal,
                attachable=req.Attachable, labels=labels, options=options,
                interface=interface, nv_name="pl" + nid[:12], dns=driver == "bridge",
                ipam_options=dict(req.IPAM.Options) if req.IPAM and req.IPAM.Options else None,
                aux_addresses=aux, subnet6=dual[0], gateway6=dual[1], ip_range6=dual[2],
            )
            self.store.add(rec)
        return rec

    def _subnet6(self, nid: str, cfg: IPAMConfig | None,
                 enable: bool) -> tuple[str, str, str]:
        """The IPv6 half of a dual-stack network (asked by ``EnableIPv6`` or an IPv6 pool):
        (subnet, gateway, ip range), all "" for an IPv4 network."""
        if cfg is None and not enable:
            return "", "", ""
        subnet = ipam6.parse_subnet6(cfg.Subnet) if cfg else ipam6.ula_subnet(nid)
        for other in self.store.all():
            if other.subnet6 and subnet.overlaps(ipam6.parse_subnet6(other.subnet6)):
                raise Forbidden("Pool overlaps with other one on this address space")
        gateway = (ipam6.parse_address6(cfg.Gateway, "gateway") if cfg and cfg.Gateway
                   else subnet.network_address + 1)
        if gateway not in subnet:
            raise InvalidArgument(f"gateway {gateway} is not in subnet {subnet}")
        ip_range = ""
        if cfg and cfg.IPRange:
            rng = ipam6.parse_subnet6(cfg.IPRange)
            if not rng.subnet_of(subnet):
                raise InvalidArgument(f"ip range {rng} is not in subnet {subnet}")
            ip_range = str(rng)
        return str(subnet), str(gateway), ip_range

    def _subnet(self, text: str) -> IPv4Network:
        used = [IPv4Network(n.subnet) for n in self.store.all() if n.subnet]
        if text:
            subnet = ipam.parse_subnet(text)
            for other in used:
                if subnet.overlaps(other):
                    raise Forbidden("Pool overlaps with other one on this address space")
            return subnet
        taken = used + ipam.host_routes()
        return ipam.pick_subnet(self.config.pool, self.config.pool_prefix, taken,
                                self.config.pool_start)

    # -- read ------------------------------------------------------------------
    def resolve(self, ref: str) -> NetworkRecord:
        return self.store.resolve(ref)

    def list(self, filters: Filters) -> list[NetworkRecord]:
        for key in filters:
            if key not in ("name", "id", "label", "driver", "type", "dangling", "scope"):
                raise InvalidArgument(f"invalid filter '{key}'")
        return [n for n in self.store.all() if self._matches(n, filters)]

    def _matches(self, n: NetworkRecord, filters: Filters) -> bool:
        for key, values in filters.items():
            if key == "name":
                ok = any(v in n.name for v in values)
            elif key == "id":
                ok = any(n.id.startswith(v) for v in values)
            elif key == "driver":
                ok = n.driver in values
            elif key == "scope":
                ok = "local" in values
            elif key == "type":
                for v in values:
                    if v not in ("custom", "builtin"):
                        raise InvalidArgument(f"invalid filter: 'type'='{v}'")
                ok = ("builtin" if n.builtin else "custom") in values
            elif key == "dangling":
                want = dangling_wanted(values)
                ok = (not n.builtin and not self.store.holders(n.id)) == want
            elif key == "label":
                ok = labels_match(n.labels, values)
            else:
                ok = True
            if not ok:
                return False
        return True

    # -- remove ------------------------------------------------------------------
    def remove(self, ref: str, names: Namer) -> None:
        n = self.resolve(ref)
        if n.builtin:
            raise Forbidden(f"{n.name} is a pre-defined network and cannot be removed")
        if self.store.holders(n.id):
            raise Forbidden(f"error while removing network: network {n.name} id {n.id} has "
                            "active endpoints")
        self.store.delete(n.id)

    def prune(self, filters: Filters) -> builtins.list[str]:
        prunable = prune_filter(filters)
        out = []
        for n in self.store.all():
            if n.builtin or self.store.holders(n.id):
                continue
            if not prunable(_parse_time(n.created), n.labels):
                continue
            self.store.delete(n.id)
            out.append(n.name)
        return out

    # -- IPAM --------------------------------------------------------------------
    def allocate(self, n: NetworkRecord, cid: str, requested: str = "") -> str:
        with self.lock:
            fresh = self.store.get(n.id) or n
            subnet = IPv4Network(fresh.subnet)
            gateway = ipam.parse_address(fresh.gateway)
            used = [*(u for u in self.store.used(n.id) if not ipam6.is_ipv6(u)),
                    *fresh.aux_addresses.values()]
            if requested:
                ip = ipam.check_static(subnet, gateway, requested, used)
            else:
                rng = IPv4Network(fresh.ip_range) if fresh.ip_range else None
                ip = str(ipam.next_address(subnet, gateway, used, fresh.last_ip or None, rng))
            self.store.allocate(n.id, ip, cid)
            return ip

    def allocate6(self, n: NetworkRecord, cid: str, requested: str = "") -> str:
        """The container's IPv6 address on a dual-stack network ("" on an IPv4 one)."""
        if requested and not n.subnet6:
            raise InvalidArgument(f"network {n.name} has no IPv6 subnet for {requested}")
        if not n.subnet6:
            return ""
        with self.lock:
            fresh = self.store.get(n.id) or n
            subnet = ipam6.parse_subnet6(fresh.subnet6)
            gateway = ipam6.parse_address6(fresh.gateway6)
            used = self.store.used(n.id)
            if requested:
                ip = ipam6.check_static6(subnet, gateway, requested, used)
            else:
                rng = ipam6.parse_subnet6(fresh.ip_range6) if fresh.ip_range6 else None
                ip = str(ipam6.next_address6(subnet, gateway, used, rng))
            self.store.allocate(n.id, ip, cid)
            return ip

    def transfer(self, nid: str, ip: str, holder: str, cid: str) -> None:
        """Hand ``ip`` from ``holder`` to ``cid``."""
        with self.lock:
            self.store.release(nid, holder)
            self.store.allocate(nid, ip, cid)

    def release(self, nid: str, cid: str) -> None:
        with self.lock:
            self.store.release(nid, cid)


def _default_route_interface() -> str:
    try:
        with open("/proc/net/route") as f:
            for line in f.read().splitlines()[1:]:
                parts = line.split()
                if len(parts) > 1 and parts[1] == "00000000":
                    return parts[0]
    except OSError:
        pass
    raise InvalidArgument("macvlan needs -o parent=<host interface>")
