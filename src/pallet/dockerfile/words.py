"""Dockerfile word expansion (pure): Docker's shell lexer, without running a shell.

``expand(word, env)`` processes one word: quotes are removed, ``$VAR``, ``${VAR}``,
``${VAR:-default}``, ``${VAR-default}``, ``${VAR:+alt}``, ``${VAR+alt}``,
``${VAR:?msg}`` and ``${VAR?msg}`` are substituted, and the escape character
(``\\`` or the ``# escape`` directive's) quotes the next character.
``expand_words(text, env)`` also splits on unquoted whitespace, including
whitespace that comes from an unquoted substitution, as Docker's ``ProcessWords``.
Inside double quotes the escape only applies before ``"``, ``$`` and itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from pallet.errors import InvalidArgument

_SPECIAL = set("*#?@!$-0123456789")


class ExpandError(InvalidArgument):
    """A malformed substitution, or ``${VAR:?}`` on an unset variable."""


class _Lexer:
    def __init__(self, text: str, env: Mapping[str, str], escape: str, split: bool) -> None:
        self.s = text
        self.i = 0
        self.env = env
        self.esc = escape
        self.split = split
        self.words: list[str] = []
        self.cur: list[str] = []
        self.in_word = False  # an empty quoted string still makes a word

    # -- output ------------------------------------------------------------------------
    def add(self, text: str, raw: bool) -> None:
        """Append text; unquoted whitespace ends the current word when splitting."""
        if raw or not self.split:
            self.cur.append(text)
            self.in_word = True
            return
        for ch in text:
            if ch.isspace():
                self.flush()
            else:
                self.cur.append(ch)
                self.in_word = True

    def flush(self) -> None:
        if self.in_word:
            self.words.append("".join(self.cur))
        self.cur = []
        self.in_word = False

    # -- scanning ----------------------------------------------------------------------
    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def next(self) -> str:
        ch = self.peek()
        self.i += 1 if ch else 0
        return ch

    def run(self) -> None:
        while self.i < len(self.s):
            ch = self.next()
            if ch == "'":
                self.single_quote()
            elif ch == '"':
                self.double_quote()
            elif ch == "$":
                self.add(self.dollar(), raw=False)
            elif ch == self.esc:
                nxt = self.next()
                if nxt:
                    self.add(nxt, raw=True)
            else:
                self.add(ch, raw=False)
        self.flush()

    def single_quote(self) -> None:
        end = self.s.find("'", self.i)
        if end < 0:
            raise ExpandError("unexpected end of statement while looking for matching single-quote")
        self.add(self.s[self.i : end], raw=True)
        self.i = end + 1

    def double_quote(self) -> None:
        out: list[str] = []
        while True:
            ch = self.next()
            if not ch:
                raise ExpandError(
                    "unexpected end of statement while looking for matching double-quote"
                )
            if ch == '"':
                break
            if ch == "$":
                out.append(self.dollar())
                continue
            if ch == self.esc and self.peek() in ('"', "$", self.esc) and self.peek():
                ch = self.next()
            out.append(ch)
        self.add("".join(out), raw=True)

    def name(self) -> str:
        ch = self.peek()
        if ch and ch in _SPECIAL:
            return self.next()
        start = self.i
        while self.i < len(self.s) and (self.s[self.i].isalnum() or self.s[self.i] == "_"):
            self.i += 1
        return self.s[start : self.i]

    def nested(self, stop: str) -> str:
        """A word up to ``stop`` (the default/alt part of ``${...}``), quotes processed."""
        sub = _Lexer(self.s, self.env, self.esc, split=False)
        sub.i = self.i
        parts: list[str] = []
        while True:
            ch = sub.peek()
            if not ch:
                raise ExpandError(f"missing '{stop}' in substitution")
            if ch == stop:
                sub.next()
                break
            sub.next()
            if ch == "'":
                sub.single_quote()
            elif ch == '"':
                sub.double_quote()
            elif ch == "$":
                sub.add(sub.dollar(), raw=True)
            elif ch == self.esc:
                nxt = sub.next()
                if nxt:
                    sub.add(nxt, raw=True)
            else:
                sub.add(ch, raw=True)
        parts = sub.cur
        self.i = sub.i
        return "".join(parts)

    def dollar(self) -> str:
        ch = self.peek()
        if ch != "{":
            name = self.name()
            if not name:
                return "$"
            return self.env.get(name, "")
        self.next()
        name = self.name()
        if not name:
            raise ExpandError("bad substitution: empty variable name")
        ch = self.next()
        value = self.env.get(name)
        if not ch:
            raise ExpandError(f"missing '}}' in substitution of {name}")
        if ch == "}":
            return value or ""
        colon = ch == ":"
        if colon:
            ch = self.next()
        if ch not in ("-", "+", "?"):
            if colon:
                raise ExpandError(f"unsupported modifier ({ch}) in substitution")
            raise ExpandError(f"missing ':' in substitution of {name}")
        word = self.nested("}")
        is_set = value is not None and (value != "" or not colon)
        if ch == "-":
            return value if is_set and value is not None else word
        if ch == "+":
            return word if is_set else ""
        if not is_set:
            raise ExpandError(f"{name}: {word or 'is not allowed to be unset'}")
        return value or ""


def expand(word: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """One word, quotes removed and variables substituted (Docker's ``ProcessWord``)."""
    lx = _Lexer(word, env, escape, split=False)
    lx.run()
    return lx.words[0] if lx.words else ""


def expand_words(text: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """Split on unquoted whitespace, then expand each word (``ProcessWords``)."""
    lx = _Lexer(text, env, escape, split=True)
    lx.run()
    return lx.words


def split_quoted(text: str, escape: str = "\\") -> list[str]:
    """Whitespace-separated words, quotes and escapes kept verbatim (no expansion)."""
    words: list[str] = []
    cur: list[str] = []
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            cur.append(ch)
            if ch == escape and quote == '"' and i + 1 < len(text):
                cur.append(text[i + 1])
                i += 1
            elif ch == quote:
                quote = ""
        elif ch == escape and i + 1 < len(text):
            cur.extend((ch, text[i + 1]))
            i += 1
        elif ch in ("'", '"'):
            quote = ch
            cur.append(ch)
        elif ch.isspace():
            if cur:
                words.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
        i += 1
    if cur:
        words.append("".join(cur))
    return words
