"""Go binaries' embedded build information: the toolchain and module versions.

Go (1.18 and later) writes a ``.go.buildinfo`` ELF section: a 32-byte header
(``\\xff Go buildinf:``, pointer size, flags) and, with flag 2, two
varint-prefixed strings: the Go version and the module list (``path``, ``mod``,
``dep`` and ``=>`` replacement lines between 16-byte sentinels). pyelftools finds
the section; older binaries, which point at the strings instead, are not read.
"""

from __future__ import annotations

from typing import IO

from pallet.scancore.pkgdb import Found

MAGIC = b"\xff Go buildinf:"
ELF = b"\x7fELF"
MIN_SIZE = 512 << 10  # smaller executables are not Go programs
MAX_SIZE = 512 << 20  # a streamed layer holds a candidate in memory: bound it


def _uvarint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while i < len(data):
        c = data[i]
        i += 1
        value |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return value, i
    raise ValueError("truncated varint")


def buildinfo(f: IO[bytes]) -> bytes | None:
    """``MAGIC`` + Go version + ``\\n`` + module list of an ELF file, or None."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        section = ELFFile(f).get_section_by_name(".go.buildinfo")
        data = section.data() if section is not None else b""
    except (ELFError, ValueError, OSError, KeyError, IndexError, AssertionError):
        return None
    if not data.startswith(MAGIC) or len(data) < 32 or not data[15] & 2:
        return None
    try:
        n, i = _uvarint(data, 32)
        version = data[i:i + n]
        n, i = _uvarint(data, i + n)
        mods = data[i:i + n]
    except ValueError:
        return None
    if len(mods) >= 33 and mods[-17:-16] == b"\n":
        mods = mods[16:-16]
    return MAGIC + version + b"\n" + mods


def packages(info: bytes) -> list[Found]:
    """The standard library (as ``stdlib``) and every module a binary was built from."""
    text = info[len(MAGIC):].decode("utf-8", "replace")
    version, _, mods = text.partition("\n")
    found: list[Found] = []
    if version.startswith("go"):
        found.append(Found("golang", "stdlib", "v" + version[2:].split()[0]))
    for line in mods.splitlines():
        parts = line.split("\t")
        if parts[0] in ("mod", "dep") and len(parts) >= 3 and parts[2] not in ("", "(devel)"):
            found.append(Found("golang", parts[1], parts[2]))
        elif parts[0] == "=>" and len(parts) >= 3 and found and found[-1].name != "stdlib":
            if not parts[1].startswith((".", "/")):  # a local replacement has no version
                found[-1] = Found("golang", parts[1], parts[2])
    return found
