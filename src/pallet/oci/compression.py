"""Layer compression codecs: gzip (ISA-L's igzip when ``isal`` is installed, else zlib)
and zstd (``zstandard``), as streaming compressors and decompressing readers.

A :class:`Compression` names an algorithm and a level on one scale per algorithm:
gzip 1-9 (zlib's; ISA-L's four levels are mapped onto it), zstd 1-22, none. Both
libraries release the GIL while they work, so layers compress in parallel threads.
The media type a compressed layer gets follows its manifest's kind
(:func:`layer_media`).
"""

from __future__ import annotations

import zlib
from typing import IO, Literal, Protocol, cast

import msgspec

from pallet.errors import InvalidArgument
from pallet.oci import mediatypes as mt

Algorithm = Literal["gzip", "zstd", "none"]
ALGORITHMS: tuple[Algorithm, ...] = ("gzip", "zstd", "none")
DEFAULT_LEVEL = {"gzip": 6, "zstd": 3, "none": 0}
MAX_LEVEL = {"gzip": 9, "zstd": 22, "none": 0}
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_ISAL_LEVEL = {1: 0, 2: 1, 3: 1, 4: 1, 5: 2, 6: 2, 7: 2, 8: 3, 9: 3}


class Compression(msgspec.Struct, frozen=True):
    algorithm: Algorithm = "gzip"
    level: int = 6

    @property
    def key(self) -> str:
        """Names the codec's output: ``gzip-isal-2``; equal keys give equal bytes."""
        if self.algorithm == "gzip":
            lib = "isal" if _isal() is not None else "zlib"
            return f"gzip-{lib}-{self.level}"
        return f"{self.algorithm}-{self.level}"


GZIP = Compression()


def parse(algorithm: str | None, level: int | None = None) -> Compression:
    """Validate ``--compression`` and ``--compression-level``."""
    algo = (algorithm or "gzip").lower()
    if algo not in ALGORITHMS:
        raise InvalidArgument(
            f"invalid compression {algorithm!r}: choose one of {', '.join(ALGORITHMS)}")
    if level is None:
        return Compression(algo, DEFAULT_LEVEL[algo])
    if algo == "none" or not 1 <= level <= MAX_LEVEL[algo]:
        raise InvalidArgument(
            f"invalid compression level {level} for {algo}"
            + ("" if algo == "none" else f": 1 to {MAX_LEVEL[algo]}"))
    return Compression(cast(Algorithm, algo), level)


class Compressor(Protocol):
    def compress(self, data: bytes, /) -> bytes: ...
    def flush(self) -> bytes: ...


def _isal() -> object | None:
    try:
        from isal import isal_zlib
    except ImportError:  # pragma: no cover - isal is a dependency; zlib is the fallback
        return None
    return isal_zlib


def compressor(c: Compression) -> Compressor:
    """A fresh streaming compressor for ``c`` (gzip members carry no name or mtime)."""
    if c.algorithm == "gzip":
        isal = _isal()
        if isal is not None:
            from isal import isal_zlib

            return cast(Compressor, isal_zlib.compressobj(
                _ISAL_LEVEL[c.level], isal_zlib.DEFLATED, 31))
        return zlib.compressobj(c.level, zlib.DEFLATED, 31)
    if c.algorithm == "zstd":
        import zstandard

        return cast(Compressor, zstandard.ZstdCompressor(level=c.level).compressobj())
    raise InvalidArgument("compression none has no compressor")


def layer_media(manifest_media: str, algorithm: Algorithm) -> str:
    """The layer media type for a layer compressed with ``algorithm``."""
    docker = manifest_media == mt.DOCKER_MANIFEST
    if algorithm == "gzip":
        return mt.DOCKER_LAYER_GZIP if docker else mt.OCI_LAYER_GZIP
    if algorithm == "zstd":
        return mt.DOCKER_LAYER_ZSTD if docker else mt.OCI_LAYER_ZSTD
    return mt.DOCKER_LAYER if docker else mt.OCI_LAYER


def decode_errors() -> tuple[type[BaseException], ...]:
    """What a truncated or corrupt gzip/zstd stream raises while it is read."""
    import gzip

    out: list[type[BaseException]] = [EOFError, zlib.error, gzip.BadGzipFile]
    if _isal() is not None:
        from isal import isal_zlib

        out.append(cast(type[BaseException], isal_zlib.error))
    import zstandard

    out.append(zstandard.ZstdError)
    return tuple(out)


def gunzip_reader(stream: IO[bytes]) -> IO[bytes]:
    """A reader of the gzip stream ``stream``, decompressed (igzip when available)."""
    if _isal() is not None:
        from isal import igzip

        return cast(IO[bytes], igzip.IGzipFile(fileobj=stream, mode="rb"))  # type: ignore[no-untyped-call]
    import gzip

    return cast(IO[bytes], gzip.GzipFile(fileobj=stream, mode="rb"))


def unzstd_reader(stream: IO[bytes]) -> IO[bytes]:
    """A reader of the zstd stream ``stream`` (several frames allowed), decompressed."""
    import zstandard

    return cast(IO[bytes], zstandard.ZstdDecompressor().stream_reader(
        stream, read_across_frames=True, closefd=False))
