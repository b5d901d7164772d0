"""A lean reader of a tar stream's members, for layers: tarfile's results at a fraction of
its cost per member, and tarfile itself for what is rare.

:class:`TarMembers` yields :class:`tarfile.TarInfo` objects equal to what
``tarfile.open(mode="r|")`` yields for ustar, GNU (long names and links) and pax
(extended headers) members, and gives their content (:meth:`TarMembers.data`,
:meth:`TarMembers.chunks`). It reads the stream in large chunks and takes headers
and small contents as slices of them, where tarfile's stream mode goes through several
file-like layers per member. Anything else (a global pax header, GNU sparse files, a
``hdrcharset``, Solaris extended headers) hands the rest of the stream, from
the start of that member's headers, to tarfile, which then decides as it always did.

Errors are tarfile's: a damaged or truncated header is an error in the first member
and the end of the archive after it, a stream that ends inside content is an error.
Unlike tarfile, the members are not kept in a list, and a long name or pax header of more
than 1 MiB is refused instead of read into memory whatever its size.
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Iterator
from typing import IO, cast

from pallet.oci.digest import CHUNK
from pallet.oci.layerstream import Prefixed, Readable

BLOCK = 512
MAX_EXTENSION = 1 << 20  # bytes of the long names and pax headers of one member
MAX_EXTENSIONS = 16  # long name and pax headers before one member (tarfile: any number)
TAR_BUFSIZE = 16 << 10  # tarfile's stream mode copies its whole buffer for every header
_ZERO = bytes(BLOCK)
_DATA_TYPES = frozenset(tarfile.REGULAR_TYPES)
_KNOWN_TYPES = frozenset(tarfile.SUPPORTED_TYPES)
_SIMPLE = frozenset(bytes([c]) for c in b"01234567\0")  # types whose header is the whole story
_TARFILE_TYPES = frozenset(  # left to tarfile: sparse files, global and Solaris pax headers
    (tarfile.GNUTYPE_SPARSE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE))
_PAX_NUMBERS = {"atime": float, "ctime": float, "mtime": float, "uid": int, "gid": int,
                "size": int}


class _Fallback(Exception):
    """Something tarfile should handle: the rest of the stream goes to it."""


class _Invalid(Exception):
    """A damaged header: an error first, the end of the archive later (as in tarfile)."""


class TarMembers:
    """Members of the tar stream ``src``, read once, in order."""

    def __init__(self, src: Readable, chunk: int = CHUNK) -> None:
        self._src = src
        self._chunk = chunk
        self._buf = b""
        self._pos = 0
        self._eof = False
        self._started = False  # a header was read
        self._left = 0  # content bytes of the current member not yet taken
        self._pad = 0  # and the padding after them
        self._chain: list[bytes] = []  # raw bytes of the current member's headers
        self._extended = 0  # bytes of the current member's long names and pax headers
        self.tarfile: tarfile.TarFile | None = None  # once tarfile reads the rest

    # -- bytes -------------------------------------------------------------
    def _fill(self, n: int) -> bool:
        """At least ``n`` bytes buffered (False at the end of the stream)."""
        while len(self._buf) - self._pos < n:
            more = b"" if self._eof else self._src.read(max(self._chunk, n))
            if not more:
                self._eof = True
                return False
            self._buf = self._buf[self._pos:] + more
            self._pos = 0
        return True

    def _take(self, n: int) -> bytes:
        if not self._fill(n):
            raise tarfile.ReadError("unexpected end of data")
        data = self._buf[self._pos:self._pos + n]
        self._pos += n
        return data

    def _skip_rest(self) -> None:
        while self._left:
            self._left -= len(self._piece(self._left))
        if self._pad:
            self._take(self._pad)
            self._pad = 0

    def _piece(self, n: int) -> bytes:
        """Up to ``n`` bytes of content, as much as is buffered (one read if none is)."""
        if self._pos >= len(self._buf) and not self._fill(1):
            raise tarfile.ReadError("unexpected end of data")
        data = self._buf[self._pos:self._pos + n]
        self._pos += len(data)
        return data

    # -- content -----------------------------------------------------------
    def data(self, m: tarfile.TarInfo) -> bytes:
        """The whole content of the member just yielded."""
        if self.tarfile is not None:
            f = self.tarfile.extractfile(m)
            return f.read() if f is not None else b""
        out = self._take(self._left)
        self._left = 0
        return out

    def chunks(self, m: tarfile.TarInfo) -> Iterator[bytes]:
        """The content of the member just yielded, in pieces."""
        if self.tarfile is not None:
            f = self.tarfile.extractfile(m)
            while f is not None and (piece := f.read(CHUNK)):
                yield piece
            return
        while self._left:
            piece = self._piece(min(self._left, CHUNK))
            self._left -= len(piece)
            yield piece

    # -- members -----------------------------------------------------------
    def __iter__(self) -> Iterator[tarfile.TarInfo]:
        while True:
            self._skip_rest()
            self._chain, self._extended = [], 0
            try:
                m = self._member()
            except _Invalid as e:
                if self._started:
                    return  # tarfile ends quietly at a damaged header after the first
                raise tarfile.ReadError(str(e)) from None
            except _Fallback:
                break
            if m is None:
                return
            self._started = True
            yield m
        rest = Prefixed(b"".join(self._chain) + self._buf[self._pos:], cast(IO[bytes], self._src))
        self._buf, self._pos = b"", 0
        with tarfile.open(fileobj=rest, mode="r|",  # type: ignore[call-overload]
                          bufsize=TAR_BUFSIZE) as tf:
            self.tarfile = tf
            yield from tf

    def _member(self) -> tarfile.TarInfo | None:
        if not self._fill(BLOCK):
            if len(self._buf) > self._pos:
                raise _Invalid("truncated header")
            if not self._started:
                raise _Invalid("empty file")
            return None
        hdr = self._buf[self._pos:self._pos + BLOCK]
        if hdr == _ZERO:
            return None  # the end of the archive (what follows is drained by the caller)
        self._pos += BLOCK
        self._chain.append(hdr)
        m = _header(hdr)
        kind = m.type
        if kind in _SIMPLE:
            size = m.size if kind in _DATA_TYPES else 0
        elif kind in (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK):
            size = -1
        elif kind == tarfile.XHDTYPE:
            return self._pax(m)
        elif kind in _TARFILE_TYPES:
            raise _Fallback()
        else:
            size = m.size  # an unknown type: its content is skipped
        if size < 0:
            return self._gnulong(m)
        self._left, self._pad = size, -size % BLOCK
        return m

    def _extension(self, m: tarfile.TarInfo) -> bytes:
        """The blocks of a long name or pax header (padding included, as tarfile reads them).
        More than ``MAX_EXTENSION`` bytes or ``MAX_EXTENSIONS`` headers for one member is an
        error where tarfile would hold any amount in memory (all of a member's headers are
        kept until it is read) and recurse once per header until a RecursionError."""
        self._extended += m.size
        if self._extended > MAX_EXTENSION:
            raise tarfile.ReadError(f"extended headers of {self._extended} bytes: at most"
                                    f" {MAX_EXTENSION} are read for one member")
        if len(self._chain) > MAX_EXTENSIONS:
            raise tarfile.ReadError(f"more than {MAX_EXTENSIONS} extended headers"
                                    " for one member")
        raw = self._take(m.size + -m.size % BLOCK)
        self._chain.append(raw)
        return raw

    def _next_header(self) -> tarfile.TarInfo:
        """The member an extension header belongs to (missing or damaged: an error)."""
        try:
            nxt = self._member()
        except _Invalid as e:
            raise tarfile.ReadError(str(e)) from None
        if nxt is None:
            raise tarfile.ReadError("end of file header")
        return nxt

    def _gnulong(self, m: tarfile.TarInfo) -> tarfile.TarInfo:
        text = self._extension(m).partition(b"\0")[0].decode("utf-8", "surrogateescape")
        nxt = self._next_header()
        if m.type == tarfile.GNUTYPE_LONGNAME:
            nxt.name = text
        else:
            nxt.linkname = text
        if nxt.isdir():
            nxt.name = nxt.name.removesuffix("/")
        return nxt

    def _pax(self, m: tarfile.TarInfo) -> tarfile.TarInfo:
        headers = _pax_records(self._extension(m))
        if "hdrcharset" in headers or any(k.startswith("GNU.sparse.") for k in headers):
            raise _Fallback()
        nxt = self._next_header()
        for key, text in headers.items():
            if key in tarfile.PAX_FIELDS:
                value: object = text
                if key in _PAX_NUMBERS:
                    try:
                        value = _PAX_NUMBERS[key](text)
                    except ValueError:
                        value = 0
                if key == "path":
                    value = text.rstrip("/")
                setattr(nxt, key, value)
        nxt.pax_headers = headers
        size = nxt.size if nxt.type in _DATA_TYPES or nxt.type not in _KNOWN_TYPES else 0
        self._left, self._pad = size, -size % BLOCK
        return nxt


def _pax_records(buf: bytes) -> dict[str, str]:
    """The ``"<length> <keyword>=<value>\\n"`` records of a pax header, up to its padding.

    Each record is framed by its length (at least 5 bytes, within the header, ending in a
    newline, with a keyword and ``=``); a record that is not is an invalid header, as in
    the tarfile of Python 3.11.10 and later. The older tarfile's pattern match scanned from
    every record to the next ``=``: a header of many short records cost time quadratic in
    its size (CVE-2024-6232; ~7 s for 128 KiB)."""
    headers: dict[str, str] = {}
    pos = 0
    while pos < len(buf) and buf[pos]:
        space = buf.find(b" ", pos, pos + 21)
        digits = buf[pos:space]
        if space < 0 or not digits.isdigit():
            raise _Invalid("invalid header")
        end = pos + int(digits)
        if end - pos < 5 or end > len(buf) or buf[end - 1] != 0x0A:
            raise _Invalid("invalid header")
        keyword, equals, value = buf[space + 1:end - 1].partition(b"=")
        if not keyword or not equals:
            raise _Invalid("invalid header")
        headers[_decode(keyword)] = _decode(value)
        pos = end
    return headers


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "surrogateescape")


def _text(field: bytes) -> str:
    return field.partition(b"\0")[0].decode("utf-8", "surrogateescape")


def _number(field: bytes) -> int:
    """tarfile's ``nti``, octal digits first without its decode (the common case)."""
    if field[0] not in (0o200, 0o377):
        digits = field.partition(b"\0")[0].strip()
        try:
            return int(digits, 8) if digits else 0
        except ValueError:
            pass
    try:  # base-256, or what only tarfile's str.strip() accepts (\x1c-\x1f)
        return int(tarfile.nti(field))  # type: ignore[attr-defined]
    except tarfile.HeaderError:
        raise _Invalid("invalid header") from None


def _byte_sum(block: bytes) -> int:
    """The sum of a header block's bytes: Adler-32's low half is 1 + the sum of its bytes
    modulo 65521, exact for 256 bytes (at most 65280), and zlib computes it in C where
    ``sum()`` goes through an int object per byte."""
    return (zlib.adler32(block[:256]) & 0xFFFF) + (zlib.adler32(block[256:]) & 0xFFFF) - 2


def _header(hdr: bytes) -> tarfile.TarInfo:
    """The fields of one header block, as tarfile's ``TarInfo.frombuf`` sets them."""
    chksum = _number(hdr[148:156])
    unsigned = 256 + _byte_sum(hdr) - sum(hdr[148:156])
    if chksum != unsigned:  # some tars sum signed chars
        high = sum(1 for b in hdr[:148] + hdr[156:] if b >= 128)
        if chksum != unsigned - 256 * high:
            raise _Invalid("bad checksum")
    m = tarfile.TarInfo(_text(hdr[0:100]))
    m.mode = _number(hdr[100:108])
    m.uid = _number(hdr[108:116])
    m.gid = _number(hdr[116:124])
    m.size = _number(hdr[124:136])
    m.mtime = _number(hdr[136:148])
    m.chksum = chksum
    m.type = kind = hdr[156:157]
    m.linkname = _text(hdr[157:257])
    m.uname = _text(hdr[265:297])
    m.gname = _text(hdr[297:329])
    m.devmajor = _number(hdr[329:337])
    m.devminor = _number(hdr[337:345])
    if m.size < 0:
        raise _Invalid("invalid header")
    prefix = _text(hdr[345:500])
    if kind == tarfile.AREGTYPE and m.name.endswith("/"):
        m.type = tarfile.DIRTYPE
    if prefix and kind not in tarfile.GNU_TYPES:
        m.name = prefix + "/" + m.name
    if m.type == tarfile.DIRTYPE:  # after the prefix: an empty name leaves its slash
        m.name = m.name.rstrip("/")
    return m
