"""``.env`` files (the project's, ``--env-file``, a service's ``env_file``) as Compose v2
reads them.

One ``KEY=VALUE`` (or ``KEY: VALUE``) a statement, an optional ``export`` before it, ``#``
comment lines, a UTF-8 BOM skipped. Unquoted values end at the line, lose a `` #`` comment
and trailing blanks, and are interpolated; single-quoted values are literal (``\\'`` is a
quote) and may span lines; double-quoted values may span lines, take the escapes ``\\n``,
``\\t``, ``\\"``, ``\\\\``, ``\\$`` ... and are interpolated. A bare ``KEY`` takes the
variable from the lookup (the shell environment) or is left out. Interpolation sees the
lookup first, then the keys read so far.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pallet.compose import reads
from pallet.compose.errors import ComposeError
from pallet.compose.template import substitute

Lookup = Callable[[str], str | None]
_SPACE = "\t\v\f\r \x85\xa0"
_EXPORT = re.compile(r"export[" + _SPACE + "]+")
_ESCAPE = re.compile(r"\\(?:[abcfnrtv$\"\\]|0[0-9]{0,3})")
_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
           '"': '"', "\\": "\\", "$": "$$"}


def parse_env(text: str, lookup: Lookup | None = None, name: str = ".env") -> dict[str, str]:
    """The variables ``text`` defines, in order (errors name ``name`` and the line)."""
    return _Parser(text.removeprefix("\ufeff"), lookup or (lambda _k: None), name).run()


def read_env(path: str, lookup: Lookup | None = None) -> dict[str, str]:
    """:func:`parse_env` of the file at ``path``."""
    try:
        text = reads.read_text(path)
    except OSError as err:
        raise ComposeError(f"couldn't read env file: {err.strerror or err}", path) from None
    except UnicodeDecodeError:
        raise ComposeError("env file is not valid UTF-8", path) from None
    return parse_env(text, lookup, path)


class _Parser:
    def __init__(self, text: str, lookup: Lookup, name: str) -> None:
        self.src = text
        self.lookup = lookup
        self.name = name
        self.line = 1
        self.out: dict[str, str] = {}

    def fail(self, message: str) -> ComposeError:
        return ComposeError(message, f"{self.name}:{self.line}")

    def run(self) -> dict[str, str]:
        rest = self.src
        while True:
            rest = self.statement_start(rest)
            if not rest:
                return self.out
            key, rest, inherited = self.key(rest)
            if " " in key:
                raise self.fail("key cannot contain a space")
            if inherited:
                value = self.lookup(key)
                if value is not None:
                    self.out[key] = value
                continue
            self.out[key], rest = self.value(rest)

    def statement_start(self, src: str) -> str:
        while True:
            i = 0
            while i < len(src) and src[i].isspace():
                if src[i] == "\n":
                    self.line += 1
                i += 1
            src = src[i:]
            if not src.startswith("#"):
                return src
            nl = src.find("\n")
            if nl < 0:
                return ""
            src = src[nl:]

    def key(self, src: str) -> tuple[str, str, bool]:
        m = _EXPORT.match(src)
        if m is not None:
            src = src[m.end():]
        for i, c in enumerate(src):
            if c in _SPACE:
                continue
            if c in "=:\n":
                inherited = c == "\n"
                key = src[:i].rstrip()
                if inherited:
                    self.line += 1
                return key, src[i + 1:].lstrip(_SPACE), inherited
            if c in "_.-[]" or c.isalnum():
                continue
            first = src.split("\n", 1)[0]
            raise self.fail(f"unexpected character {c!r} in variable name {first!r}")
        return src.rstrip(), "", True  # a last line without "=": inherited

    def value(self, src: str) -> tuple[str, str]:
        start = self.line
        if not src or src[0] not in "'\"":
            value, _, rest = src.partition("\n")
            value = self.expand(value.split(" #", 1)[0].rstrip(), start)
            self.line += 1
            return value, rest
        quote = src[0]
        chars: list[str] = []
        escaped = False
        for i in range(1, len(src)):
            c = src[i]
            if c == "\n":
                self.line += 1
            if c != quote:
                if not escaped and c == "\\":
                    escaped = True
                    continue
                if escaped:
                    escaped = False
                    chars.append("\\")
                chars.append(c)
                continue
            if escaped:
                escaped = False
                chars.append(c)
                continue
            value = "".join(chars)
            if quote == '"':
                value = self.expand(_ESCAPE.sub(_unescape, value), start)
            return value, src[i + 1:]
        first = src.split("\n", 1)[0]
        raise self.fail(f"unterminated quoted value {first}")

    def expand(self, value: str, line: int) -> str:
        def look(key: str) -> str | None:
            found = self.lookup(key)
            return found if found is not None else self.out.get(key)

        try:
            return substitute(value, look)
        except ComposeError as err:
            raise ComposeError(err.detail, f"{self.name}:{line}") from None


def _unescape(m: re.Match[str]) -> str:
    seq = m.group()[1:]
    if seq in _SIMPLE:
        return _SIMPLE[seq]
    octal = seq[1:]  # "\0NNN" is the byte NNN (octal); anything else stays as written
    if len(octal) == 3 and all(c in "01234567" for c in octal) and int(octal, 8) < 256:
        return chr(int(octal, 8))
    return m.group()
