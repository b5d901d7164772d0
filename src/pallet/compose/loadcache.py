"""What the compose loader keeps between commands, under ``$XDG_CACHE_HOME/pallet``
(``~/.cache/pallet``): documents already found valid, and loaded projects.

A project is loaded again by every ``pallet compose`` command, mostly unchanged. Validating
needs ``jsonschema``, whose import costs more than the rest of a load, so a valid
document's key (a :func:`pallet.compose.reads.digest` of the schema file and of the
document's exact ``repr``, types included) is kept as an empty file under
``compose-valid``; only successes are kept, so an invalid document is always validated and
reported. Whole loaded projects are kept under
``compose-projects`` by :mod:`pallet.compose.projectcache`, written here: atomically (a
temporary file renamed into place), mode 0600 in a 0700 directory. Each directory is
emptied once it holds :data:`LIMIT` entries. Any failure to read or write only means
loading (or validating) again.

An entry decides what ``up`` runs, so only the user's own are used: a directory (or an
entry) that another user owns or may write to is neither read nor written (an
``XDG_CACHE_HOME`` in a shared place, or a ``~/.cache`` another user prepared, would let
them plant or swap entries). Entries are opened through the checked directory's
descriptor and never through a symbolic link.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from pallet.compose import reads

LIMIT = 1000  # entries kept in a directory before it is emptied
VALID = "compose-valid"
PROJECTS = "compose-projects"


def directory(kind: str) -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pallet", kind)


@cache
def _schema_digest(schema_file: str) -> str:
    with open(schema_file, "rb") as f:
        return reads.digest(f.read())


def key(doc: Any, schema_file: str) -> str:
    """The name a valid ``doc`` is remembered under."""
    return reads.digest(_schema_digest(schema_file) + repr(doc))


def seen(name: str) -> bool:
    """Whether the document keyed ``name`` was found valid before."""
    folder = _folder(VALID)
    if folder is None:
        return False
    try:
        os.stat(name, dir_fd=folder, follow_symlinks=False)
        return True
    except OSError:
        return False
    finally:
        os.close(folder)


def remember(name: str) -> None:
    """Keep that the document keyed ``name`` is valid."""
    write(VALID, name, b"")


def read(kind: str, name: str) -> bytes | None:
    """The entry ``name`` of ``kind``, or None when there is none (or it cannot be read, or
    is not the user's own)."""
    folder = _folder(kind)
    if folder is None:
        return None
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=folder)
        with open(fd, "rb") as f:
            return f.read() if _private(os.fstat(fd)) else None
    except OSError:
        return None
    finally:
        os.close(folder)


def write(kind: str, name: str, data: bytes) -> None:
    """Keep ``data`` as the entry ``name`` of ``kind``, replacing any before it at once."""
    try:
        os.makedirs(directory(kind), mode=0o700, exist_ok=True)
    except OSError:
        return
    folder = _folder(kind)
    if folder is None:
        return
    tmp = f"{name}.{os.getpid()}.tmp"
    try:
        entries = os.listdir(folder)
        if len(entries) >= LIMIT:
            for entry in entries:
                os.unlink(entry, dir_fd=folder)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600,
                     dir_fd=folder)
        with open(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except OSError:
        try:
            os.unlink(tmp, dir_fd=folder)
        except OSError:
            pass
    finally:
        os.close(folder)


def _folder(kind: str) -> int | None:
    """A descriptor of ``kind``'s directory when it is the user's own and only the user
    may write to it (else None: the cache is not used)."""
    try:
        fd = os.open(directory(kind), os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None
    if _private(os.fstat(fd)):
        return fd
    os.close(fd)
    return None


def _private(st: os.stat_result) -> bool:
    """Owned by the user, and writable by no one else."""
    return st.st_uid == os.geteuid() and not st.st_mode & 0o022
