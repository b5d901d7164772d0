"""netavark 1.4's firewall teardown, done by pallet as one ``iptables-restore`` batch.

netavark removes a network's rules one ``iptables -C`` and ``iptables -D`` pair at a time,
and every mutating iptables-nft call waits for its own commit (~10 ms): a ``compose down``
of three containers spent most of its time there. So pallet runs netavark's teardown with
the firewall left out (:func:`links_only`: its bridge networks marked internal, the one
kind netavark tears down without touching iptables) and then deletes the same rules itself:
one ``iptables-save`` reads them, one ``iptables-restore --noflush`` deletes them in a
single commit, under the lock netavark's own runs take. Deleted, per address family:

- on a network whose bridge went (its last container left): its NAT chain, the jump to it,
  its isolation and forward rules, its port chain (``NETAVARK-DN-``) and the jumps to that;
- on any other network: the container's published-port rules (its jump in
  ``NETAVARK-HOSTPORT-DNAT``, the port chain's rules for its host ports), and the port
  chain once it is empty (netavark 1.4 leaves it behind);
- FORWARD's jump to ``NETAVARK_ISOLATION_1`` once no isolation rule is left (netavark
  drops it with any network, which lets the remaining networks reach each other).

The rules are matched in ``iptables-save``'s own spelling and deleted by it, so a ``-D``
always names a rule that exists; a batch that fails (a rule changed meanwhile) is rebuilt.
"""

from __future__ import annotations

import hashlib
import ipaddress
import shlex
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass

import msgspec

from pallet.errors import CommandFailed
from pallet.network.netdoc import NetworkInfo, SetupDocument

ISOLATION_1 = "NETAVARK_ISOLATION_1"
ISOLATION_2 = "NETAVARK_ISOLATION_2"
FORWARD = "NETAVARK_FORWARD"
HOSTPORT_DNAT = "NETAVARK-HOSTPORT-DNAT"
TRIES = 3


def network_hash(nv_name: str) -> str:
    """The 13 characters netavark 1.4 names a network's chains with."""
    return hashlib.sha512(nv_name.encode()).hexdigest().upper()[:13]


@dataclass(frozen=True)
class Rule:
    """One ``-A`` line of ``iptables-save``."""

    table: str
    chain: str
    spec: str  # what follows "-A CHAIN ", as saved
    args: tuple[str, ...]

    def value(self, flag: str) -> str:
        """The word after ``flag`` ("" if absent; a negated match does not count)."""
        for i, word in enumerate(self.args[:-1]):
            if word == flag and (i == 0 or self.args[i - 1] != "!"):
                return self.args[i + 1]
        return ""

    @property
    def target(self) -> str:
        return self.value("-j")


@dataclass
class Saved:
    """The rules and chains of an ``iptables-save`` dump."""

    rules: list[Rule]
    chains: set[tuple[str, str]]  # (table, chain)


def parse_save(text: str) -> Saved:
    saved = Saved([], set())
    table = ""
    for line in text.splitlines():
        if line.startswith("*"):
            table = line[1:].strip()
        elif line.startswith(":"):
            saved.chains.add((table, line[1:].split(" ", 1)[0]))
        elif line.startswith("-A "):
            _, chain, *rest = line.split(" ", 2)
            spec = rest[0] if rest else ""
            try:
                args = tuple(shlex.split(spec))
            except ValueError:
                args = tuple(spec.split())
            saved.rules.append(Rule(table, chain, spec, args))
    return saved


def links_only(doc: SetupDocument) -> SetupDocument:
    """``doc`` for a netavark teardown that leaves iptables alone: bridge networks marked
    internal, no port mappings (netavark skips the firewall of internal networks, and
    nothing else of its teardown looks at the flag)."""
    infos = {nv: msgspec.structs.replace(info, internal=True) if info.driver == "bridge"
             else info for nv, info in doc.network_info.items()}
    return msgspec.structs.replace(doc, network_info=infos, port_mappings=None)


def _same_net(word: str, subnet: str) -> bool:
    try:
        return ipaddress.ip_network(word, strict=False) == ipaddress.ip_network(
            subnet, strict=False)
    except ValueError:
        return False


def _subnet(info: NetworkInfo, v6: bool) -> str:
    for s in info.subnets:
        try:
            if ipaddress.ip_network(s.subnet, strict=False).version == (6 if v6 else 4):
                return s.subnet
        except ValueError:
            continue
    return ""


def firewalled(doc: SetupDocument) -> dict[str, NetworkInfo]:
    """The networks of ``doc`` netavark put rules in for (bridges that are not internal)."""
    return {nv: info for nv, info in doc.network_info.items()
            if info.driver == "bridge" and not info.internal and nv in doc.networks}


def families(doc: SetupDocument) -> list[bool]:
    """The address families (v6?) whose rules a teardown of ``doc`` touches."""
    nets = firewalled(doc).values()
    return [v6 for v6 in (False, True) if any(_subnet(info, v6) for info in nets)]


def doomed(saved: Saved, doc: SetupDocument, gone: Iterable[str], v6: bool) -> Saved:
    """The rules and chains of ``saved`` the teardown of ``doc`` removes; ``gone``: the
    networks whose bridge the teardown removed."""
    gone = set(gone)
    ports = {(p.protocol, str(p.host_port) if p.range <= 1
              else f"{p.host_port}:{p.host_port + p.range - 1}")
             for p in doc.port_mappings or []}
    picked: dict[int, Rule] = {}  # by position in saved.rules
    chains: set[tuple[str, str]] = set()
    for nv, info in firewalled(doc).items():
        subnet = _subnet(info, v6)
        if not subnet:
            continue
        name = info.name or nv
        h = network_hash(name)
        nat, dn = f"NETAVARK-{h}", f"NETAVARK-DN-{h}"
        comment = f"dnat name: {name} id: {doc.container_id}"
        for i, r in enumerate(saved.rules):
            if nv in gone:
                hit = _of_network(r, (nat, dn), info.network_interface, subnet)
            else:
                hit = r.table == "nat" and (
                    (r.chain == dn and (r.value("-p"), r.value("--dport")) in ports)
                    or (r.chain, r.target, r.value("--comment")) == (HOSTPORT_DNAT, dn, comment))
            if hit:
                picked[i] = r
        for chain in (nat, dn) if nv in gone else (dn,) if ports else ():
            if ("nat", chain) in saved.chains and all(
                    i in picked for i, r in enumerate(saved.rules)
                    if r.table == "nat" and chain in (r.chain, r.target)):
                chains.add(("nat", chain))
    if gone & set(firewalled(doc)) and not any(
            r.chain == ISOLATION_1 and i not in picked for i, r in enumerate(saved.rules)):
        # no isolated network left: FORWARD's jump to the isolation chain goes too
        picked.update((i, r) for i, r in enumerate(saved.rules)
                      if (r.table, r.chain, r.args) == ("filter", "FORWARD", ("-j", ISOLATION_1)))
    return Saved([picked[i] for i in sorted(picked)], chains)


def _of_network(r: Rule, nat_chains: tuple[str, ...], bridge: str, subnet: str) -> bool:
    """Whether ``r`` is one of a network's own rules (its bridge went)."""
    if r.table == "nat":
        return r.chain in nat_chains or r.target in nat_chains
    if r.table != "filter":
        return False
    if r.chain == ISOLATION_1:
        return r.value("-i") == bridge
    if r.chain == ISOLATION_2:
        return r.value("-o") == bridge
    return r.chain == FORWARD and any(_same_net(r.value(f), subnet) for f in ("-s", "-d"))


def restore_input(out: Saved) -> str:
    """The ``iptables-restore --noflush`` input deleting ``out`` ("" if nothing)."""
    lines: list[str] = []
    for table in ("filter", "nat"):
        body = [f"-D {r.chain} {r.spec}" for r in out.rules if r.table == table]
        body += [f"-X {c}" for t, c in sorted(out.chains) if t == table]
        if body:
            lines += [f"*{table}", *body, "COMMIT"]
    return "\n".join(lines) + "\n" if lines else ""


def teardown_firewall(doc: SetupDocument, gone: Iterable[str]) -> None:
    """Delete what netavark's teardown of ``doc`` would have (see the module text); the
    caller holds netavark's lock."""
    gone = set(gone) & set(firewalled(doc))
    if not gone and not doc.port_mappings:
        return  # a container leaving networks others still use, publishing nothing
    for v6 in families(doc):
        save, restore = ("ip6tables-save", "ip6tables-restore") if v6 else (
            "iptables-save", "iptables-restore")
        for _ in range(TRIES):
            listed = subprocess.run([save], capture_output=True, timeout=30)
            if listed.returncode != 0:
                raise CommandFailed([save], listed.returncode,
                                    listed.stderr.decode(errors="replace"))
            batch = restore_input(doomed(parse_save(listed.stdout.decode(errors="replace")),
                                         doc, gone, v6))
            if not batch:
                break
            res = subprocess.run([restore, "-w", "--noflush"], input=batch.encode(),
                                 capture_output=True, timeout=30)
            if res.returncode == 0:
                break
        else:
            raise CommandFailed([restore, "--noflush"], res.returncode,
                                res.stderr.decode(errors="replace"))
