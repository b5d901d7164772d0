"""netavark 1.4 as pallet's network driver: the setup document, one lock, teardown.

The document is a pure function of network records and a container's
attachments; the caller keeps it, because teardown needs the same one. A container
on several networks that publishes ports gets two, as Docker maps ports on its
gateway network only (:func:`setup_documents`).
Every call runs under one ``flock`` (netavark is unsafe in parallel). After a
teardown, the empty per-network ``NETAVARK-DN-<hash>`` chain 1.4 leaves behind
is deleted, and after one that removed a bridge the isolation jump is checked.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from pallet.errors import CommandFailed, Unavailable
from pallet.network.conntrack import forget_udp_flows, udp_ports
from pallet.network.netdoc import (
    NetworkInfo,
    NetworkOptions,
    PortMapping,
    SetupDocument,
    SetupResult,
    Subnet,
)
from pallet.network.records import NetworkRecord

NETAVARK = "/usr/lib/podman/netavark"
AARDVARK = "/usr/lib/podman/aardvark-dns"


@dataclass(frozen=True)
class Attachment:
    """One container on one network."""

    network: NetworkRecord
    ip: str
    interface: str
    aliases: Sequence[str] = ()
    mac: str = ""  # a fixed MAC address ("" for netavark's own)
    ip6: str = ""  # the IPv6 address on a dual-stack network


def network_info(n: NetworkRecord) -> NetworkInfo:
    """netavark's view of a network (podman's network JSON)."""
    options = dict(n.options)
    for key in list(options):
        if key.startswith("com.docker.network."):
            options.pop(key)
    if n.driver == "bridge":
        options["isolate"] = "true"
    mtu = n.options.get("com.docker.network.driver.mtu") or n.options.get("mtu")
    if mtu:
        options["mtu"] = mtu
    return NetworkInfo(
        name=n.nv_name,
        id=n.id,
        driver=n.driver,
        network_interface=n.interface,
        subnets=[Subnet(n.subnet, n.gateway)] + (
            [Subnet(n.subnet6, n.gateway6)] if n.subnet6 else []),
        ipv6_enabled=bool(n.subnet6),
        internal=n.internal,
        dns_enabled=n.dns and n.driver == "bridge",
        ipam_options={"driver": "host-local"},
        options={k: v for k, v in options.items() if k in ("isolate", "mtu", "mode")},
    )


def setup_document(cid: str, name: str, attachments: Sequence[Attachment],
                   ports: Sequence[PortMapping] = (),
                   dns_servers: Sequence[str] = ()) -> SetupDocument:
    """The stdin document of ``netavark setup|teardown``."""
    doc = SetupDocument(container_id=cid, container_name=name,
                        port_mappings=list(ports) or None,
                        dns_servers=list(dns_servers) or None)
    for a in attachments:
        doc.networks[a.network.nv_name] = NetworkOptions(
            static_ips=[a.ip, a.ip6] if a.ip6 else [a.ip],
            aliases=list(dict.fromkeys(a.aliases)),
            interface_name=a.interface,
            static_mac=a.mac,
        )
        doc.network_info[a.network.nv_name] = network_info(a.network)
    return doc


def gateway(attachments: Sequence[Attachment]) -> Attachment | None:
    """The attachment Docker routes the container's external traffic through, and the only
    one its published ports go to: libnetwork's gateway endpoint, the first by network name
    among the networks that have a gateway (not internal). None if all are internal."""
    outside = [a for a in attachments if not a.network.internal]
    return min(outside, key=lambda a: a.network.name) if outside else None


def setup_documents(cid: str, name: str, attachments: Sequence[Attachment],
                    ports: Sequence[PortMapping] = (),
                    dns_servers: Sequence[str] = ()) -> list[SetupDocument]:
    """The documents of a start's ``netavark setup`` calls: one, or, when a container on
    several networks publishes ports, one for the gateway's network with the ports and one
    for the others without (netavark maps the ports of a document on each of its networks,
    and Docker on the gateway's only)."""
    doc = setup_document(cid, name, attachments, ports, dns_servers)
    gw = gateway(attachments)
    if not ports or len(attachments) < 2 or gw is None:
        return [doc]
    others = [a.network.nv_name for a in attachments if a is not gw]
    return [restrict(doc, [gw.network.nv_name], True), restrict(doc, others, False)]


def restrict(doc: SetupDocument, nv_names: Sequence[str], ports: bool) -> SetupDocument:
    """The part of a setup document about some of its networks (for a disconnect)."""
    return msgspec.structs.replace(
        doc,
        networks={k: v for k, v in doc.networks.items() if k in nv_names},
        network_info={k: v for k, v in doc.network_info.items() if k in nv_names},
        port_mappings=doc.port_mappings if ports else None,
    )


def dn_chain(nv_name: str) -> str:
    """The per-network DNAT chain netavark 1.4 names after the network."""
    return "NETAVARK-DN-" + hashlib.sha512(nv_name.encode()).hexdigest().upper()[:13]


def masq_chain(nv_name: str) -> str:
    return "NETAVARK-" + hashlib.sha512(nv_name.encode()).hexdigest().upper()[:13]


@dataclass
class Netavark:
    """Runs netavark with pallet's config dir, serialized by a lock file."""

    config_dir: Path
    lock_path: Path
    binary: str = NETAVARK
    aardvark: str = AARDVARK
    env: dict[str, str] = field(default_factory=dict)
    sys_net: Path = Path("/sys/class/net")  # the host's interfaces (bridges)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.lock_path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _run(self, cmd: str, netns: str, doc: SetupDocument) -> bytes:
        """netavark's output (stdout) of ``cmd``."""
        if not os.path.exists(self.binary):
            raise Unavailable(f"netavark is not installed ({self.binary})")
        self.config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        argv = [self.binary, "--config", str(self.config_dir), "--rootless", "false",
                "--aardvark-binary", self.aardvark, cmd, netns]
        res = subprocess.run(argv, input=msgspec.json.encode(doc), capture_output=True,
                             timeout=60, env={**os.environ, **self.env})
        if res.returncode != 0:
            message = out = res.stdout.decode(errors="replace").strip()
            with contextlib.suppress(ValueError):
                message = str(json.loads(out).get("error", out))
            raise CommandFailed([*argv[:1], cmd], res.returncode,
                                message or res.stderr.decode(errors="replace"))
        return res.stdout

    def setup(self, netns: str, doc: SetupDocument) -> SetupResult:
        """Set the endpoint up; netavark's answer, per network name."""
        with self.locked():
            out = self._run("setup", netns, doc).strip()
            result = msgspec.json.decode(out, type=SetupResult) if out else {}
        forget_udp_flows(udp_ports(doc.port_mappings or []))
        return result

    def teardown(self, netns: str, doc: SetupDocument) -> None:
        with self.locked():
            self._run("teardown", netns, doc)
            gone = removed_bridges(doc, self.sys_net)  # netavark dropped their chains
            if doc.port_mappings:
                for nv_name in doc.networks:
                    if nv_name not in gone:
                        drop_chain("nat", dn_chain(nv_name))
            if gone:
                restore_isolation_jump(any(doc.network_info[nv].ipv6_enabled for nv in gone))
        forget_udp_flows(udp_ports(doc.port_mappings or []))


def removed_bridges(doc: SetupDocument, sys_net: Path) -> set[str]:
    """The networks of ``doc`` whose bridge a teardown removed: netavark's complete
    teardown of a network (its last container left), which also drops the network's
    chains and is the only kind that drops the isolation jump. A teardown that leaves
    every bridge in place (a container leaving networks others still use) needs no look
    at the isolation jump, which saves iptables runs on most teardowns of a
    ``compose down``."""
    return {nv_name for nv_name, info in doc.network_info.items()
            if info.driver == "bridge" and info.network_interface
            and not (sys_net / info.network_interface).exists()}


ISOLATION_JUMP = ["FORWARD", "-j", "NETAVARK_ISOLATION_1"]


def restore_isolation_jump(v6: bool = True) -> bool:
    """Put netavark's ``FORWARD -j NETAVARK_ISOLATION_1`` back while isolated networks
    remain; True if it had to. ``v6``: look at ip6tables too (netavark drops the jump
    there only with a network that has an IPv6 subnet).

    netavark removes that jump on the complete teardown of *any* isolated network (the
    last container leaving it), although every other isolated network's rules hang off
    it: until the next setup re-inserts it, containers on different networks reach each
    other. So after each teardown, if NETAVARK_ISOLATION_1 still holds a network's rule
    and FORWARD lost the jump, it goes back first in FORWARD, where netavark puts it.
    """
    restored = False
    for tool in ("iptables", "ip6tables") if v6 else ("iptables",):
        # the filter table in one read: the isolation chain's rules and FORWARD's jump
        listed = subprocess.run([tool, "-S"], capture_output=True, timeout=30)
        lines = listed.stdout.splitlines()
        if listed.returncode != 0 or not any(
                line.startswith(b"-A NETAVARK_ISOLATION_1 ") for line in lines):
            continue  # no chain, or no isolated network left: nothing to protect
        if b"-A " + " ".join(ISOLATION_JUMP).encode() not in lines:
            subprocess.run([tool, "-I", ISOLATION_JUMP[0], "1", *ISOLATION_JUMP[1:]],
                           capture_output=True, timeout=30)
            restored = True
    return restored


def drop_chain(table: str, chain: str) -> bool:
    """Delete an empty, unreferenced chain (``-X`` refuses otherwise); True if gone."""
    res = subprocess.run(["iptables", "-t", table, "-X", chain], capture_output=True, timeout=30)
    return res.returncode == 0


