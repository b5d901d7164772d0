"""``.dockerignore`` patterns with Docker's rules (pure; the CLI uses it too).

A line is a Go ``filepath.Match`` pattern on the slash path relative to the
context root, with ``**`` for any number of directories; ``!`` re-includes;
the last matching line wins; a pattern that matches a directory excludes what
is inside it; ``#`` starts a comment; a leading ``/`` is ignored.
"""

from __future__ import annotations

import posixpath
import re


class Pattern:
    """One line: the cleaned pattern, whether it re-includes (``!``), its regex.
    (A plain class: ``dataclasses`` costs the CLI ~3 ms of imports.)"""

    __slots__ = ("negate", "regex", "text")

    def __init__(self, text: str, negate: bool, regex: re.Pattern[str]) -> None:
        self.text = text
        self.negate = negate
        self.regex = regex


def _clean(path: str) -> str:
    p = posixpath.normpath("/" + path.strip()).lstrip("/")
    return "" if p == "." else p


def compile_glob(pattern: str, escape: bool = True) -> re.Pattern[str]:
    """A Go-style glob (``*``, ``?``, ``[...]``, ``**``) as an anchored regex."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if pattern.startswith("**", i):
                i += 2
                if i < n and pattern[i] == "/":
                    out.append("(?:.*/)?")
                    i += 1
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end]
                if body.startswith(("^", "!")):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        elif ch == "\\" and escape and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("^" + "".join(out) + "$")


def parse(text: str) -> list[Pattern]:
    out: list[Pattern] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:].strip()
        cleaned = _clean(line)
        if not cleaned:
            continue
        out.append(Pattern(cleaned, negate, compile_glob(cleaned)))
    return out


class Matcher:
    """``excluded(path)`` for slash paths relative to the context root."""

    def __init__(self, patterns: list[Pattern]) -> None:
        self.patterns = patterns
        self.has_negation = any(p.negate for p in patterns)

    @classmethod
    def from_text(cls, text: str) -> Matcher:
        return cls(parse(text))

    def excluded(self, path: str) -> bool:
        path = _clean(path)
        if not path:
            return False
        parents = []
        parts = path.split("/")
        for k in range(1, len(parts)):
            parents.append("/".join(parts[:k]))
        result = False
        for p in self.patterns:
            hit = bool(p.regex.match(path)) or any(p.regex.match(d) for d in parents)
            if hit:
                result = not p.negate
        return result

    def may_include_below(self, directory: str) -> bool:
        """Whether something under an excluded ``directory`` could be re-included."""
        if not self.has_negation:
            return False
        d = _clean(directory)
        return any(p.negate and (p.text.startswith(d + "/") or "*" in p.text)
                   for p in self.patterns)
