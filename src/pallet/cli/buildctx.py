"""The build context ``pallet build`` sends: a tar streamed as it is written.

``Context`` walks the directory once (``lstat`` only), then ``chunks()`` yields the
tar in ~1 MiB pieces, reading each file once, for a chunked request body: nothing is
spooled to disk. As the docker CLI does:

* ``.dockerignore`` excludes paths with Docker's rules (``pallet.notation.dockerignore``,
  imported only when the file has patterns); the Dockerfile and ``.dockerignore``
  are sent regardless (the daemon drops them when ``.dockerignore`` excludes them);
* hardlinked files are sent as regular files, so the daemon can index the tar
  instead of extracting it; sockets are skipped; owners are 0:0;
* a Dockerfile from outside the context (or stdin) travels as an extra file whose
  name is appended to the ``.dockerignore`` sent (which, when the context has none,
  is ``.dockerignore`` itself), so ``COPY . .`` copies neither.

The tar is plain ustar, with a PAX header only for a long or non-ASCII name or link
target, or a file of 8 GiB or more; mtimes are whole seconds.
"""

from __future__ import annotations

import os
import stat
import time

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Iterator

    from pallet.notation.dockerignore import Matcher

INJECTED = ".pallet-dockerfile"  # the name of a Dockerfile from outside the context
CHUNK = 1 << 20
_BLOCK = 512
_MAX_OCTAL = 8**11  # size and mtime fields: 11 octal digits
_TYPES = {stat.S_IFREG: b"0", stat.S_IFLNK: b"2", stat.S_IFCHR: b"3", stat.S_IFBLK: b"4",
          stat.S_IFDIR: b"5", stat.S_IFIFO: b"6"}


class ContextError(Exception):
    """The context could not be read (a message as the docker CLI words it)."""


def _pax(records: dict[str, bytes]) -> bytes:
    out = bytearray()
    for key, value in records.items():
        body = b" %s=%s\n" % (key.encode(), value)
        n = len(body) + 1
        while len(str(n)) + len(body) != n:  # the length counts its own digits
            n = len(str(n)) + len(body)
        out += str(n).encode() + body
    return bytes(out)


def _split(name: bytes) -> tuple[bytes, bytes] | None:
    """``(prefix, name)`` fitting ustar's 155 + 100 bytes (as Go's tar splits), or None."""
    if len(name) <= 100:
        return b"", name
    cut = name.rfind(b"/", 0, min(len(name) - 1, 156))
    if cut <= 0 or len(name) - cut - 1 > 100:
        return None
    return name[:cut], name[cut + 1:]


_IDS = b"0000000\0" * 2  # uid, gid 0
_MAGIC = b"ustar\x0000" + bytes(64)  # magic, version, empty uname and gname
_CONST_SUM = sum(_IDS) + sum(_MAGIC) + 8 * ord(" ")  # the checksum field counts as spaces


def _ustar(name: bytes, prefix: bytes, mode: int, size: int, mtime: int, kind: bytes,
           link: bytes = b"", major: int = 0, minor: int = 0) -> bytes:
    nums = b"%07o\0%011o\0%011o\0" % (mode, size, mtime)
    dev = b"%07o\0%07o\0" % (major, minor)
    # the checksum is the sum of the header's bytes: NUL padding adds nothing
    chk = (_CONST_SUM + sum(name) + sum(nums) + kind[0] + sum(link) + sum(dev)
           + sum(prefix))
    return b"".join((
        name.ljust(100, b"\0"), nums[:8], _IDS, nums[8:], b"%06o\0 " % chk, kind,
        link.ljust(100, b"\0"), _MAGIC, dev, prefix.ljust(167, b"\0"),
    ))


def header(name: str, mode: int, size: int, mtime: int, kind: bytes, link: str = "",
           major: int = 0, minor: int = 0) -> bytes:
    """The header block(s) of one member: ustar, preceded by a PAX header when a
    field does not fit (``name`` of a directory ends with ``/``)."""
    raw = os.fsencode(name)
    lraw = os.fsencode(link)
    pax: dict[str, bytes] = {}
    parts = _split(raw) if raw.isascii() else None
    if parts is None:
        pax["path"] = raw
        parts = b"", raw[:99].decode("ascii", "replace").encode("ascii", "replace")
    if len(lraw) > 100 or not lraw.isascii():
        pax["linkpath"] = lraw
        lraw = lraw[:100].decode("ascii", "replace").encode("ascii", "replace")
    if size >= _MAX_OCTAL:
        pax["size"] = str(size).encode()
    mtime = min(max(mtime, 0), _MAX_OCTAL - 1)
    block = _ustar(parts[1], parts[0], mode, size if size < _MAX_OCTAL else 0, mtime, kind,
                   lraw, major, minor)
    if not pax:
        return block
    records = _pax(pax)
    xname = b"PaxHeaders.0/" + os.path.basename(raw.rstrip(b"/"))[:80].decode(
        "ascii", "replace").encode("ascii", "replace")
    return (_ustar(xname, b"", 0o644, len(records), mtime, b"x") + records
            + bytes(-len(records) % _BLOCK) + block)


class Context:
    """A directory as a build context (walked at construction, streamed by ``chunks``)."""

    def __init__(self, root: str, dockerfile: str | None = "Dockerfile",
                 outside: bytes | None = None) -> None:
        """``dockerfile`` is the Dockerfile's slash path inside ``root``; ``outside`` is
        the content of a Dockerfile from elsewhere (then ``dockerfile`` is ignored)."""
        self.root = root
        self.ignore_text = _read_ignore(root)
        self.matcher = _matcher(self.ignore_text)
        self.entries: list[tuple[str, str, os.stat_result]] = []
        self.extra: dict[str, bytes] = {}  # name -> content, sent after the walk
        self.replace: dict[str, bytes] = {}  # name -> content sent instead of the file's
        self.dockerfile = dockerfile or "Dockerfile"
        # sent even when excluded (the daemon drops them); an outside Dockerfile is
        # added after the walk
        self.keep = {".dockerignore"} if outside is not None else {".dockerignore",
                                                                   self.dockerfile}
        self._walk("", root)
        if outside is not None:
            self._inject(outside)

    # -- the walk -----------------------------------------------------------------------
    def _walk(self, rel_dir: str, path: str) -> None:
        try:
            with os.scandir(path) as it:
                listing = sorted((e.name, e.path) for e in it)
        except OSError as err:
            raise _stat_error(err, path) from None
        m = self.matcher
        for name, host in listing:
            rel = f"{rel_dir}/{name}" if rel_dir else name
            try:
                st = os.lstat(host)
            except FileNotFoundError:
                continue  # removed since the listing
            except OSError as err:
                raise _stat_error(err, host) from None
            if stat.S_ISSOCK(st.st_mode):
                continue
            excluded = m is not None and m.excluded(rel) and rel not in self.keep
            if stat.S_ISDIR(st.st_mode):
                if not excluded:
                    self.entries.append((rel, host, st))
                    self._walk(rel, host)
                elif self._may_keep_below(rel):
                    self._walk(rel, host)  # walked but not sent: a child may be re-included
            elif not excluded:
                self.entries.append((rel, host, st))

    def _may_keep_below(self, rel: str) -> bool:
        prefix = rel + "/"
        if any(k.startswith(prefix) for k in self.keep):
            return True
        return self.matcher is not None and self.matcher.may_include_below(rel)

    def _inject(self, dockerfile: bytes) -> None:
        names = {rel for rel, _, _ in self.entries}
        name = INJECTED
        if name in names:
            name = ".dockerfile." + os.urandom(10).hex()
        self.dockerfile = name
        self.extra[name] = dockerfile
        ignore = (self.ignore_text if self.ignore_text is not None else ".dockerignore")
        ignore_data = (ignore + "\n" + name + "\n").encode("utf-8", "surrogateescape")
        if ".dockerignore" in names:
            self.entries = [e for e in self.entries
                            if e[0] != ".dockerignore" or stat.S_ISREG(e[2].st_mode)]
        if any(e[0] == ".dockerignore" for e in self.entries):
            self.replace[".dockerignore"] = ignore_data
        else:
            self.extra[".dockerignore"] = ignore_data

    # -- the tar ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.entries) + len(self.extra)

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        """The tar, in pieces of ``size`` bytes (the last one shorter); each file is
        read once, straight into the piece being filled."""
        size = max(size, 8 * _BLOCK)
        buf = bytearray(size)
        mv = memoryview(buf)
        pos = 0
        for head, host, length in self._members():
            if pos + len(head) > size:
                yield bytes(mv[:pos])
                pos = 0
                if len(head) > size:
                    yield head
                    continue
            mv[pos:pos + len(head)] = head
            pos += len(head)
            if host is None:
                continue
            try:
                fd = os.open(host, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
            except OSError as err:
                raise _read_error(err, host) from None
            left = length
            try:
                while left:
                    if pos == size:
                        yield bytes(buf)
                        pos = 0
                    n = os.readv(fd, [mv[pos:pos + min(left, size - pos)]])
                    if not n:
                        break  # shrank since the walk: zero-filled below
                    pos += n
                    left -= n
            except OSError as err:
                raise _read_error(err, host) from None
            finally:
                os.close(fd)
            pad = left + (-length % _BLOCK)
            while pad:
                if pos == size:
                    yield bytes(buf)
                    pos = 0
                k = min(pad, size - pos)
                mv[pos:pos + k] = bytes(k)
                pos += k
                pad -= k
        yield bytes(mv[:pos])

    def _members(self) -> Iterator[tuple[bytes, str | None, int]]:
        """Per member: its header (with the data of synthesized files), and the host
        file whose ``size`` bytes follow it, if any; then the end-of-archive blocks."""
        for rel, host, st in self.entries:
            mode = st.st_mode
            perm = stat.S_IMODE(mode)
            mtime = int(st.st_mtime)
            if stat.S_ISREG(mode):
                data = self.replace.get(rel)
                if data is not None:
                    yield _inline(rel, perm, mtime, data), None, 0
                else:
                    yield header(rel, perm, st.st_size, mtime, b"0"), host, st.st_size
            elif stat.S_ISDIR(mode):
                yield header(rel + "/", perm, 0, mtime, b"5"), None, 0
            elif stat.S_ISLNK(mode):
                try:
                    link = os.readlink(host)
                except OSError as err:
                    raise _read_error(err, host) from None
                yield header(rel, perm, 0, mtime, b"2", link), None, 0
            else:
                kind = _TYPES.get(stat.S_IFMT(mode))
                if kind is not None:
                    yield header(rel, perm, 0, mtime, kind, "", os.major(st.st_rdev),
                                 os.minor(st.st_rdev)), None, 0
        now = int(time.time())
        for rel, data in self.extra.items():
            yield _inline(rel, 0o600, now, data), None, 0
        yield bytes(2 * _BLOCK), None, 0


def _inline(name: str, mode: int, mtime: int, data: bytes) -> bytes:
    return header(name, mode, len(data), mtime, b"0") + data + bytes(-len(data) % _BLOCK)


def _stat_error(err: OSError, path: str) -> ContextError:
    """docker's ``ValidateContextDirectory`` wording for a path it cannot stat or list."""
    why = f"can't stat '{path}'" if isinstance(err, PermissionError) else str(err)
    return ContextError(f"error checking context: '{why}'.")


def _read_error(err: OSError, path: str) -> ContextError:
    """... and for a file it cannot read."""
    why = (f"no permission to read from '{path}'" if isinstance(err, PermissionError)
           else str(err))
    return ContextError(f"error checking context: '{why}'.")


def _read_ignore(root: str) -> str | None:
    try:
        with open(os.path.join(root, ".dockerignore"), encoding="utf-8",
                  errors="surrogateescape") as f:
            return f.read()
    except OSError:
        return None


def _matcher(text: str | None) -> Matcher | None:
    """Docker's matcher for ``text``; none (and no import) without patterns."""
    if text is None or not any(
            ln.strip() and not ln.lstrip().startswith("#") for ln in text.splitlines()):
        return None
    from pallet.notation.dockerignore import Matcher

    return Matcher.from_text(text)
