"""Documents already found valid, remembered so the next load skips the schema.

Validating needs ``jsonschema``, whose import costs more than the rest of a load; a project
is loaded again by every ``pallet compose`` command, mostly unchanged. A valid document's
key (SHA-256 of the schema file and of the document's exact ``repr``, types included) is
kept as an empty file under ``$XDG_CACHE_HOME/pallet/compose-valid`` (``~/.cache/...``);
only successes are kept, so an invalid document is always validated and reported. Any
failure to read or write the cache only means validating again.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from typing import Any

_LIMIT = 1000  # entries kept before the directory is emptied


def _directory() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pallet", "compose-valid")


@cache
def _schema_digest(schema_file: str) -> bytes:
    with open(schema_file, "rb") as f:
        return hashlib.sha256(f.read()).digest()


def key(doc: Any, schema_file: str) -> str:
    h = hashlib.sha256(_schema_digest(schema_file))
    h.update(repr(doc).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def seen(name: str) -> bool:
    return os.path.exists(os.path.join(_directory(), name))


def remember(name: str) -> None:
    directory = _directory()
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        entries = os.listdir(directory)
        if len(entries) >= _LIMIT:
            for entry in entries:
                os.unlink(os.path.join(directory, entry))
        with open(os.path.join(directory, name), "wb"):
            pass
    except OSError:
        return
