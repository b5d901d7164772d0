"""What one project load looked at, noted so that a cached result can be checked.

The loader reads files (compose files, ``include`` and ``extends`` files, ``.env`` and
``env_file``/``label_file`` files), asks whether paths exist, and looks variables up in
the project environment. Its result is a function of those answers and of the inputs
:mod:`pallet.compose.projectcache` keys on (options, directory, file list, code), so when
every answer is the same again the result is too. Every file read and existence check of
the loader goes through :func:`read_text`, :func:`isfile` and :func:`exists`, which note
the answer while :func:`noting` is active (a digest of each text, never the text); the
environment is handed to the loader as a :class:`Watched` dict, which notes each variable
looked up (set or not) and whether the load saw them all (iterated it).
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from typing import Any

try:  # hashlib's own BLAKE2 module: hashlib would load OpenSSL first (~3 ms a command)
    from _blake2 import blake2b
except ImportError:  # an interpreter without it
    from hashlib import blake2b


def digest(data: str | bytes) -> str:
    """A 256-bit BLAKE2b digest of ``data`` (text as UTF-8)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    return blake2b(raw, digest_size=32).hexdigest()


class Notes:
    """The answers of one load: a digest per file text ("" when it could not be read) and
    each existence check (``isfile:PATH``/``exists:PATH`` -> result). ``once`` is set when
    the load read something other than a regular file (a pipe such as ``-f <(...)``, a
    device): reading it again would not give the text back (and would take it from the
    load that follows), so such a load is not kept."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.checks: dict[str, bool] = {}
        self.once = False


_notes: Notes | None = None  # the load being noted (loads run on one thread)


@contextlib.contextmanager
def noting() -> Iterator[Notes]:
    """Note the reads and checks made inside the block."""
    global _notes
    outer, _notes = _notes, Notes()
    try:
        yield _notes
    finally:
        _notes = outer


def read_text(path: str) -> str:
    """The file's text, as ``open(path, encoding="utf-8").read()`` gives it (its errors
    too)."""
    try:
        with open(path, encoding="utf-8") as f:
            if _notes is not None and not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                _notes.once = True
            text = f.read()
    except (OSError, UnicodeDecodeError):
        if _notes is not None:
            _notes.texts.setdefault(path, "")
        raise
    if _notes is not None:
        _notes.texts.setdefault(path, digest(text))
    return text


def isfile(path: str) -> bool:
    found = os.path.isfile(path)
    if _notes is not None:
        _notes.checks.setdefault("isfile:" + path, found)
    return found


def exists(path: str) -> bool:
    found = os.path.exists(path)
    if _notes is not None:
        _notes.checks.setdefault("exists:" + path, found)
    return found


def same(texts: dict[str, str], checks: dict[str, bool]) -> bool:
    """Whether every noted file and check still answers as noted."""
    for path, noted in texts.items():
        if _digest_of(path) != noted:
            return False
    for check, answer in checks.items():
        kind, _, path = check.partition(":")
        if (os.path.isfile(path) if kind == "isfile" else os.path.exists(path)) != answer:
            return False
    return True


def _digest_of(path: str) -> str | None:
    """The digest of a regular file's text ("" when it cannot be read); None for anything
    else, which is never read here (a pipe would block, or lose its text to the load)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return ""
    with open(fd, encoding="utf-8") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        try:
            return digest(f.read())
        except (OSError, UnicodeDecodeError):
            return ""


def _seen_all(method: str) -> Any:
    base = getattr(dict, method)

    def wrapper(self: Watched, *args: Any, **kwargs: Any) -> Any:
        self.whole = True
        return base(self, *args, **kwargs)

    wrapper.__name__ = method
    return wrapper


class Watched(dict[str, str]):
    """The project environment, noting the variables a load looks up: ``looked`` holds
    each one's value at its first lookup (``None``: unset), unless the load set it first
    (then its value comes from what was noted before). Anything that sees every variable
    at once (iteration, a copy, a comparison) sets ``whole``: the load then depends on
    them all (the methods that do so are set below the class)."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.looked: dict[str, str | None] = {}
        self.written: set[str] = set()
        self.whole = False

    def _note(self, key: str) -> None:
        if key not in self.looked and key not in self.written:
            self.looked[key] = dict.get(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        self._note(key)
        return dict.get(self, key, default)

    def __getitem__(self, key: str) -> str:
        self._note(key)
        return dict.__getitem__(self, key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self._note(key)
        return dict.__contains__(self, key)

    def __setitem__(self, key: str, value: str) -> None:
        self.written.add(key)
        dict.__setitem__(self, key, value)

    def plain(self) -> dict[str, str]:
        """A plain copy, without noting anything (for the loaded model)."""
        return {key: dict.__getitem__(self, key) for key in dict.keys(self)}



# anything that sees every variable at once (iteration, a copy, a comparison, a change of
# more than one key) makes the load depend on all of them
for _method in ("__iter__", "__len__", "__eq__", "__ne__", "__or__", "__ror__", "__ior__",
                "__repr__", "__reversed__", "__delitem__", "__reduce__", "__reduce_ex__",
                "keys", "items", "values", "copy", "pop", "popitem", "setdefault", "update",
                "clear"):
    setattr(Watched, _method, _seen_all(_method))
