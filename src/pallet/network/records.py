"""Network records and IP allocations in SQLite.

A network is stored whole as JSON (Docker's fields plus what netavark needs);
allocations are rows ``(network, ip, container)`` with a primary key on the
address, so one address cannot be handed out twice even by racing callers.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from pallet.errors import Conflict, InvalidArgument, NotFound
from pallet.system.db import Database

BUILTIN = ("bridge", "host", "none")


class NetworkRecord(msgspec.Struct, kw_only=True):
    id: str
    name: str
    driver: str = "bridge"  # bridge | host | null | macvlan
    created: str = ""
    subnet: str = ""
    gateway: str = ""
    ip_range: str = ""
    internal: bool = False
    attachable: bool = False
    dns: bool = True
    labels: dict[str, str] = msgspec.field(default_factory=dict)
    options: dict[str, str] = msgspec.field(default_factory=dict)
    interface: str = ""  # bridge name (or macvlan parent)
    nv_name: str = ""  # the name netavark sees (unique on the host: chain names derive from it)
    last_ip: str = ""
    builtin: bool = False
    ipam_options: dict[str, str] | None = None  # IPAM.Options as created
    subnet6: str = ""  # dual stack: the IPv6 subnet ("" for IPv4 only)
    gateway6: str = ""
    ip_range6: str = ""
    aux_addresses: dict[str, str] = msgspec.field(default_factory=dict)  # never handed out

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def routed(self) -> bool:
        """Networks that netavark sets up (not host/none)."""
        return self.driver in ("bridge", "macvlan")


_SCHEMA = [
    """
    CREATE TABLE networks (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB NOT NULL);
    CREATE TABLE net_allocs (
        network TEXT NOT NULL, ip TEXT NOT NULL, container TEXT NOT NULL,
        PRIMARY KEY (network, ip)
    )
    """,
]

_enc = msgspec.json.Encoder()
_dec = msgspec.json.Decoder(NetworkRecord)


class NetworkStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.migrate("networks", _SCHEMA)

    def add(self, n: NetworkRecord) -> None:
        try:
            self.db.execute("INSERT INTO networks(id, name, data) VALUES(?, ?, ?)",
                            (n.id, n.name, _enc.encode(n)))
        except sqlite3.IntegrityError:
            raise Conflict(f"network with name {n.name} already exists") from None

    def save(self, n: NetworkRecord) -> None:
        self.db.execute("UPDATE networks SET data=? WHERE id=?", (_enc.encode(n), n.id))

    def delete(self, nid: str) -> None:
        with self.db.tx() as conn:
            conn.execute("DELETE FROM net_allocs WHERE network=?", (nid,))
            conn.execute("DELETE FROM networks WHERE id=?", (nid,))

    def all(self) -> list[NetworkRecord]:
        return [_dec.decode(r["data"]) for r in self.db.query("SELECT data FROM networks")]

    def get(self, nid: str) -> NetworkRecord | None:
        row = self.db.one("SELECT data FROM networks WHERE id=?", (nid,))
        return _dec.decode(row["data"]) if row else None

    def by_name(self, name: str) -> NetworkRecord | None:
        row = self.db.one("SELECT data FROM networks WHERE name=?", (name,))
        return _dec.decode(row["data"]) if row else None

    def resolve(self, ref: str) -> NetworkRecord:
        """dockerd's order: full ID, exact name, then a unique ID prefix."""
        if not ref:
            raise InvalidArgument("network name or ID cannot be empty")
        n = self.get(ref) or self.by_name(ref)
        if n is None and all(ch in "0123456789abcdef" for ch in ref):
            rows = self.db.query("SELECT data FROM networks WHERE id LIKE ? LIMIT 2", (ref + "%",))
            if len(rows) > 1:
                raise NotFound(f"network {ref} is ambiguous ({len(rows)} matches found based "
                               "on ID prefix)")
            n = _dec.decode(rows[0]["data"]) if rows else None
        if n is None:
            raise NotFound(f"network {ref} not found")
        return n

    # -- allocations -------------------------------------------------------------
    def used(self, nid: str) -> list[str]:
        return [r["ip"] for r in self.db.query("SELECT ip FROM net_allocs WHERE network=?", (nid,))]

    def allocate(self, nid: str, ip: str, cid: str) -> None:
        """Record ``ip`` for ``cid``; Conflict if another container holds it."""
        with self.db.tx() as conn:
            row = conn.execute("SELECT container FROM net_allocs WHERE network=? AND ip=?",
                               (nid, ip)).fetchone()
            if row is not None and row[0] != cid:
                raise Conflict(f"Address already in use: {ip}")
            conn.execute("INSERT OR IGNORE INTO net_allocs(network, ip, container) VALUES(?,?,?)",
                         (nid, ip, cid))
            data = conn.execute("SELECT data FROM networks WHERE id=?", (nid,)).fetchone()
            if data is not None:
                n = _dec.decode(data[0])
                if ":" not in ip:  # the IPv4 search's hint
                    n.last_ip = ip
                conn.execute("UPDATE networks SET data=? WHERE id=?", (_enc.encode(n), nid))

    def release(self, nid: str, cid: str) -> None:
        self.db.execute("DELETE FROM net_allocs WHERE network=? AND container=?", (nid, cid))

    def release_ip(self, nid: str, ip: str, cid: str) -> None:
        """Free one address of ``cid`` (not one it was given since)."""
        self.db.execute("DELETE FROM net_allocs WHERE network=? AND ip=? AND container=?",
                        (nid, ip, cid))

    def release_all(self, cid: str) -> None:
        self.db.execute("DELETE FROM net_allocs WHERE container=?", (cid,))

    def holders(self, nid: str) -> list[str]:
        rows = self.db.query("SELECT DISTINCT container FROM net_allocs WHERE network=?", (nid,))
        return [r["container"] for r in rows]


def to_builtins(n: NetworkRecord) -> dict[str, Any]:
    out: dict[str, Any] = msgspec.to_builtins(n)
    return out
