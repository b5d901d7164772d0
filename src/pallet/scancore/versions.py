"""Version ordering per ecosystem, each by a well-kept library's real rules.

dpkg (Debian, Ubuntu): python-debian's ``Version`` (epochs, ``~``, revisions);
PEP 440 (PyPI): ``packaging``; apk (Alpine), semver (npm) and Go: ``univers``.
Versions are never compared as strings; one that its ecosystem cannot parse
makes the comparison fail (:class:`BadVersion`), and the matcher skips that range.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any


class BadVersion(ValueError):
    pass


def _deb(v: str) -> Any:
    from debian.debian_support import Version

    return Version(v)


def _pep440(v: str) -> Any:
    from packaging.version import Version

    return Version(v)


def _apk(v: str) -> Any:
    from univers.versions import AlpineLinuxVersion

    return AlpineLinuxVersion(v)


def _semver(v: str) -> Any:
    from univers.versions import SemverVersion

    return SemverVersion(v.removeprefix("v"))


KEYS: dict[str, Callable[[str], Any]] = {
    "deb": _deb,
    "pypi": _pep440,
    "apk": _apk,
    "npm": _semver,
    "golang": _semver,
}


@cache
def key(kind: str, version: str) -> Any:
    """A sortable key for ``version`` under ``kind``'s rules (a purl type)."""
    make = KEYS.get(kind)
    if make is None:
        raise BadVersion(f"no version rules for {kind} packages")
    try:
        return make(version)
    except Exception as e:  # each library has its own exception types
        raise BadVersion(f"{kind} version {version!r}: {e}") from None


def compare(kind: str, a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` sorts before, equal to or after ``b``."""
    ka, kb = key(kind, a), key(kind, b)
    return -1 if ka < kb else (1 if ka > kb else 0)
