"""Apply or measure a (possibly gzip or zstd compressed) OCI/Docker layer tar.

:func:`apply_layer` unpacks a layer onto a directory safely (whiteout modes and the
path-safety rules are in :mod:`pallet.oci.layerapply`); :func:`scan_layer` only reads
it. Both hash the uncompressed stream while reading: the result carries the diff_id.
:func:`apply_layer` decompresses and hashes in a thread of its own
(:class:`~pallet.oci.layerpipe.PipedReader`) while this one parses the members
(:class:`~pallet.oci.tarmembers.TarMembers`, tarfile's results at less cost).
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pallet.errors import DataCorruption
from pallet.oci import compression
from pallet.oci.digest import CHUNK, Digest
from pallet.oci.layerapply import LayerApplier, WhiteoutMode
from pallet.oci.layerpipe import PipedReader
from pallet.oci.layerstream import HashingReader, open_uncompressed
from pallet.oci.tarmembers import TarMembers


def _bad() -> tuple[type[BaseException], ...]:
    return (tarfile.TarError, *compression.decode_errors())


@dataclass(frozen=True)
class ApplyResult:
    diff_id: Digest
    tar_size: int  # bytes of the uncompressed tar stream
    content_size: int  # bytes of regular-file content written
    entries: int


def apply_layer(
    src: BinaryIO | Path,
    target: Path | int,
    *,
    whiteouts: WhiteoutMode = "delete",
    skip: Callable[[str], bool] | None = None,
    prefix: Sequence[str] = (),
) -> ApplyResult:
    """Apply the layer ``src`` onto ``target`` (which must exist); returns its diff_id.

    ``target`` is a directory or an open directory fd; with ``prefix`` the members
    land under ``target/prefix``, every path resolved with ``target`` as ``/``.
    """
    if isinstance(src, Path):
        with open(src, "rb") as f:
            return apply_layer(f, target, whiteouts=whiteouts, skip=skip, prefix=prefix)
    reader = PipedReader(src)
    try:
        applier = LayerApplier(target, whiteouts, skip, prefix)
        try:
            try:
                try:
                    members = TarMembers(reader)
                    for member in members:
                        applier.apply(members, member)
                    whole = reader.drain()
                    applier.finish()
                except BaseException:
                    applier.settle()  # an earlier member's failure, still in flight, first
                    raise
            except _bad() as e:
                raise DataCorruption(f"layer is truncated or not a valid tar: {e}") from None
            except (UnicodeError, ValueError) as e:
                raise DataCorruption(f"layer has an invalid entry: {e}") from None
        finally:
            applier.close()
    finally:
        reader.close()
    return ApplyResult(whole.digest, whole.size, applier.content_size, applier.entries)


def scan_layer(src: Path) -> ApplyResult:
    """Hash and measure a layer without extracting it (diff_id, sizes, entry count)."""
    with open(src, "rb") as raw:
        reader = HashingReader(open_uncompressed(raw))
        content = entries = 0
        try:
            with tarfile.open(fileobj=reader, mode="r|", bufsize=CHUNK) as tf:  # type: ignore[call-overload]
                for m in tf:
                    entries += 1
                    if m.isreg():
                        content += m.size
            reader.drain()
        except _bad() as e:
            raise DataCorruption(f"layer is truncated or not a valid tar: {e}") from None
    return ApplyResult(reader.digest, reader.size, content, entries)
