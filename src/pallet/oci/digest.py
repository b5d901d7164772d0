"""sha256 digests: validation and hashing of bytes, files and streams (1 MiB chunks)."""

from __future__ import annotations

import hashlib
import re
from typing import BinaryIO

from pallet.errors import InvalidArgument

CHUNK = 1 << 20
_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_HEX_RE = re.compile(r"^[0-9a-f]{64}$")


class Digest(str):
    """A validated ``sha256:<64 hex>`` string."""

    __slots__ = ()

    def __new__(cls, value: str) -> Digest:
        if not _DIGEST_RE.match(value):
            raise InvalidArgument(f"invalid digest: {value!r}")
        return super().__new__(cls, value)

    @classmethod
    def from_hex(cls, hex_: str) -> Digest:
        return cls(f"sha256:{hex_}")

    @property
    def algorithm(self) -> str:
        return "sha256"

    @property
    def hex(self) -> str:
        return self[7:]

    @property
    def short(self) -> str:
        """The 12-hex short form Docker prints."""
        return self[7:19]


def is_digest(value: str) -> bool:
    return bool(_DIGEST_RE.match(value))


def is_hex64(value: str) -> bool:
    return bool(_HEX_RE.match(value))


def sha256_bytes(data: bytes) -> Digest:
    return Digest.from_hex(hashlib.sha256(data).hexdigest())


def sha256_stream(f: BinaryIO) -> tuple[Digest, int]:
    """Digest and size of everything left in ``f``."""
    h = hashlib.sha256()
    size = 0
    while chunk := f.read(CHUNK):
        h.update(chunk)
        size += len(chunk)
    return Digest.from_hex(h.hexdigest()), size



def chain_id(parent: str | None, diff_id: str) -> Digest:
    """OCI ChainID: ``diff_id`` for the bottom layer, else sha256("<parent> <diff_id>")."""
    if parent is None:
        return Digest(diff_id)
    return sha256_bytes(f"{parent} {diff_id}".encode())


def chain_ids(diff_ids: list[str]) -> list[Digest]:
    out: list[Digest] = []
    parent: str | None = None
    for d in diff_ids:
        parent = chain_id(parent, d)
        out.append(parent)
    return out
