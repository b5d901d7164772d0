"""Container records and their SQLite store.

A record is everything dockerd keeps about a container: the config as created
(after the image's defaults were merged in), the host config, and the state.
Records are stored whole as JSON with the name in its own unique column, so a
name clash is a constraint violation, not a race.
"""

from __future__ import annotations

import sqlite3
import time

import msgspec

from pallet.api.models import ContainerConfig, HostConfig, NetworkingConfig
from pallet.engine.lifecycle import State
from pallet.engine.pluginstate import PluginState
from pallet.errors import Conflict, InvalidArgument, NotFound
from pallet.notation.times import ZERO_TIME as ZERO_TIME
from pallet.notation.times import now_rfc3339 as now_rfc3339
from pallet.system.db import Database


class Container(msgspec.Struct, kw_only=True):
    id: str
    name: str  # without the leading slash
    image_id: str
    created: str
    config: ContainerConfig
    host_config: HostConfig
    networking: NetworkingConfig | None = None
    path: str = ""  # the process's executable (args[0])
    args: list[str] = msgspec.field(default_factory=list)
    status: State = State.CREATED
    pid: int = 0
    exit_code: int = 0
    error: str = ""
    oom_killed: bool = False
    started_at: str = ZERO_TIME
    finished_at: str = ZERO_TIME
    restart_count: int = 0
    manually_stopped: bool = False
    runtime: str = "crun"
    build_step: bool = False  # a builder's RUN container: not listed, removed at restart
    created_unix: float = msgspec.field(default_factory=time.time)
    extras: PluginState = msgspec.field(default_factory=PluginState)  # plugins' own state

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def running(self) -> bool:
        return self.status in (State.RUNNING, State.PAUSED)


_SCHEMA = [
    """
    CREATE TABLE containers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        data BLOB NOT NULL
    )
    """,
]

_enc = msgspec.json.Encoder()
_strict = msgspec.json.Decoder(Container)


def decode_record(data: bytes) -> Container:
    """A stored record. Records written before the request models were typed may hold what
    the typed fields refuse but Go reads (``"ExposedPorts": {"80/tcp": null}``, a ``null``
    option): those are read with the request bodies' Go rules."""
    try:
        return _strict.decode(data)
    except msgspec.ValidationError:
        from pallet.api import gojson

        record: Container = gojson.decode(data, Container)
        return record


class ContainerStore:
    """The ``containers`` table; every write is one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.migrate("containers", _SCHEMA)
        self._listed: tuple[int, list[Container]] = (-1, [])

    def add(self, c: Container) -> None:
        try:
            self._db.execute(
                "INSERT INTO containers(id, name, data) VALUES(?, ?, ?)",
                (c.id, c.name, _enc.encode(c)),
            )
        except sqlite3.IntegrityError as e:
            other = self._db.one("SELECT id FROM containers WHERE name=?", (c.name,))
            owner = other["id"] if other else "?"
            raise Conflict(
                f'Conflict. The container name "/{c.name}" is already in use by container '
                f'"{owner}". You have to remove (or rename) that container to be able to '
                "reuse that name."
            ) from e

    def save(self, c: Container) -> None:
        try:
            self._db.execute(
                "UPDATE containers SET name=?, data=? WHERE id=?",
                (c.name, _enc.encode(c), c.id),
            )
        except sqlite3.IntegrityError as e:
            raise Conflict(f'Error when allocating new name: name "/{c.name}" is in use') from e

    def delete(self, cid: str) -> None:
        self._db.execute("DELETE FROM containers WHERE id=?", (cid,))

    def all(self) -> list[Container]:
        return [decode_record(r["data"]) for r in self._db.query("SELECT data FROM containers")]

    def listed(self) -> list[Container]:
        """The containers users see: all but the builder's RUN step containers.

        Decoded once per change to the database and shared by the hot reads (list,
        ``/info``): callers read them and never change them (``get``, ``resolve`` and
        ``all`` give fresh records to change and save)."""
        generation = self._db.generation
        cached_at, listed = self._listed
        if cached_at != generation:
            listed = [c for c in self.all() if not c.build_step]
            self._listed = (generation, listed)
        return list(listed)

    def get(self, cid: str) -> Container | None:
        row = self._db.one("SELECT data FROM containers WHERE id=?", (cid,))
        return decode_record(row["data"]) if row else None

    def resolve(self, ref: str) -> Container:
        """Docker's lookup order: full ID, exact name, then a unique ID prefix."""
        ref = ref.removeprefix("/")
        if not ref:
            raise InvalidArgument("container name or ID cannot be empty")
        row = self._db.one("SELECT data FROM containers WHERE id=?", (ref,))
        if row is None:
            row = self._db.one("SELECT data FROM containers WHERE name=?", (ref,))
        if row is None and all(ch in "0123456789abcdef" for ch in ref):
            rows = self._db.query(
                "SELECT data FROM containers WHERE id LIKE ? LIMIT 2", (ref + "%",)
            )
            if len(rows) > 1:
                raise InvalidArgument(f"multiple IDs found with provided prefix: {ref}")
            row = rows[0] if rows else None
        if row is None:
            raise NotFound(f"No such container: {ref}")
        return decode_record(row["data"])

    def uses_image(self, image_id: str) -> str | None:
        """The ID of a container created from ``image_id``, if any."""
        for c in self.all():
            if c.image_id == image_id:
                return c.id
        return None
