"""What the compose loader keeps between commands, under ``$XDG_CACHE_HOME/pallet``
(``~/.cache/pallet``): documents already found valid, and loaded projects.

A project is loaded again by every ``pallet compose`` command, mostly unchanged. Validating
needs ``jsonschema``, whose import costs more than the rest of a load, so a valid
document's key (SHA-256 of the schema file and of the document's exact ``repr``, types
included) is kept as an empty file under ``compose-valid``; only successes are kept, so an
invalid document is always validated and reported. Whole loaded projects are kept under
``compose-projects`` by :mod:`pallet.compose.projectcache`, written here: atomically (a
temporary file renamed into place), mode 0600 in a 0700 directory. Each directory is
emptied once it holds :data:`LIMIT` entries. Any failure to read or write only means
loading (or validating) again.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

LIMIT = 1000  # entries kept in a directory before it is emptied
VALID = "compose-valid"
PROJECTS = "compose-projects"


def directory(kind: str) -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pallet", kind)


@cache
def _schema_digest(schema_file: str) -> bytes:
    import hashlib  # here: a load from the project cache validates nothing

    with open(schema_file, "rb") as f:
        return hashlib.sha256(f.read()).digest()


def key(doc: Any, schema_file: str) -> str:
    """The name a valid ``doc`` is remembered under."""
    import hashlib

    h = hashlib.sha256(_schema_digest(schema_file))
    h.update(repr(doc).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def seen(name: str) -> bool:
    """Whether the document keyed ``name`` was found valid before."""
    return os.path.exists(os.path.join(directory(VALID), name))


def remember(name: str) -> None:
    """Keep that the document keyed ``name`` is valid."""
    write(VALID, name, b"")


def read(kind: str, name: str) -> bytes | None:
    """The entry ``name`` of ``kind``, or None when there is none (or it cannot be read)."""
    try:
        with open(os.path.join(directory(kind), name), "rb") as f:
            return f.read()
    except OSError:
        return None


def write(kind: str, name: str, data: bytes) -> None:
    """Keep ``data`` as the entry ``name`` of ``kind``, replacing any before it at once."""
    folder = directory(kind)
    path = os.path.join(folder, name)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        entries = os.listdir(folder)
        if len(entries) >= LIMIT:
            for entry in entries:
                os.unlink(os.path.join(folder, entry))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return
