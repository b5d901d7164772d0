"""Local volumes: records in SQLite, data under ``<root>/volumes/<name>/_data``."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import msgspec

from pallet.errors import Conflict, InvalidArgument, NotFound
from pallet.system.db import Database
from pallet.system.ids import new_id

ANON_LABEL = "com.docker.volume.anonymous"
_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")


class VolumeRecord(msgspec.Struct, kw_only=True):
    name: str
    created: str
    driver: str = "local"
    labels: dict[str, str] = msgspec.field(default_factory=dict)
    options: dict[str, str] = msgspec.field(default_factory=dict)
    anonymous: bool = False
    populated: bool = False  # the image's content was copied in (first mount)


_SCHEMA = ["CREATE TABLE volumes (name TEXT PRIMARY KEY, data BLOB NOT NULL)"]
_enc = msgspec.json.Encoder()
_dec = msgspec.json.Decoder(VolumeRecord)


NAME_MAX = 255  # one path component


def valid_volume_name(name: str) -> bool:
    return bool(_NAME.fullmatch(name)) and len(name) >= 2


class VolumeStore:
    def __init__(self, db: Database, root: Path) -> None:
        self.db = db
        self.root = root
        db.migrate("volumes", _SCHEMA)

    def path(self, name: str) -> Path:
        return self.root / name / "_data"

    def create(self, name: str, created: str, labels: dict[str, str] | None = None,
               options: dict[str, str] | None = None, anonymous: bool = False) -> VolumeRecord:
        """A new volume, or the existing one of that name (Docker's create is idempotent)."""
        name = name or new_id()
        if len(name.encode()) > NAME_MAX:
            raise InvalidArgument(f"create {name[:32]}...: a volume name has at most "
                                  f"{NAME_MAX} characters")
        if not valid_volume_name(name):
            raise InvalidArgument(f'create {name}: "{name}" includes invalid characters for a '
                                  "local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are "
                                  "allowed. If you intended to pass a host directory, use "
                                  "absolute path")
        existing = self.get(name)
        if existing is not None:
            return existing
        for key in options or {}:
            if key not in ("type", "device", "o", "size"):
                raise InvalidArgument(f"invalid option key: {key!r}")
        labels = dict(labels or {})
        if anonymous:
            labels.setdefault(ANON_LABEL, "")
        rec = VolumeRecord(name=name, created=created, labels=labels,
                           options=dict(options or {}), anonymous=anonymous)
        self.path(name).parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # pallet's
        self.path(name).mkdir(exist_ok=True, mode=0o755)  # the volume's data
        try:
            self.db.execute("INSERT INTO volumes(name, data) VALUES(?, ?)",
                            (name, _enc.encode(rec)))
        except sqlite3.IntegrityError:
            raise Conflict(f"volume {name} already exists") from None
        return rec

    def save(self, rec: VolumeRecord) -> None:
        self.db.execute("UPDATE volumes SET data=? WHERE name=?", (_enc.encode(rec), rec.name))

    def get(self, name: str) -> VolumeRecord | None:
        row = self.db.one("SELECT data FROM volumes WHERE name=?", (name,))
        return _dec.decode(row["data"]) if row else None

    def resolve(self, name: str) -> VolumeRecord:
        rec = self.get(name)
        if rec is None:
            raise NotFound(f"get {name}: no such volume")
        return rec

    def all(self) -> list[VolumeRecord]:
        return [_dec.decode(r["data"]) for r in self.db.query("SELECT data FROM volumes")]

    def delete(self, name: str) -> None:
        self.db.execute("DELETE FROM volumes WHERE name=?", (name,))
        shutil.rmtree(self.root / name, ignore_errors=True)

    def usage(self, name: str) -> int:
        total = 0
        for p in self.path(name).rglob("*"):
            try:
                if p.is_file() and not p.is_symlink():
                    total += p.stat().st_size
            except OSError:
                continue
        return total
