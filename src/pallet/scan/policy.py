"""What a scan reports and how it exits: trivy's flags and exit-code contract.

``--severity`` keeps findings of the listed ratings, ``--ignore-unfixed`` drops
those without a fixed version, ``--ignorefile`` (``.trivyignore``: one ID per
line, ``#`` comments, an optional ``exp:YYYY-MM-DD`` after which the line no
longer applies) drops listed IDs or aliases. The exit code is ``--exit-code``
when a finding remains, else 0; a missing or stale database has its own code.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import msgspec

from pallet.errors import InvalidArgument, NotFound
from pallet.scancore.model import Finding
from pallet.scancore.severity import LEVELS

EXIT_DB = 3  # no database, or older than --max-db-age: never "0 findings"


class Policy(msgspec.Struct, frozen=True):
    severities: frozenset[str] = frozenset(LEVELS)
    ignore_unfixed: bool = False
    ignored: frozenset[str] = frozenset()

    def keep(self, f: Finding) -> bool:
        if f.severity not in self.severities:
            return False
        if self.ignore_unfixed and not f.fixed:
            return False
        return f.id not in self.ignored and not any(a in self.ignored for a in f.aliases)

    def apply(self, findings: list[Finding]) -> list[Finding]:
        return [f for f in findings if self.keep(f)]


def parse_severities(text: str) -> frozenset[str]:
    """``HIGH,CRITICAL`` -> the set; an unknown word is an error naming it."""
    out = set()
    for word in text.split(","):
        w = word.strip().upper()
        if not w:
            continue
        if w not in LEVELS:
            raise InvalidArgument(f"invalid severity {word.strip()!r}: use one or more of "
                                  f"{','.join(reversed(LEVELS))}")
        out.add(w)
    return frozenset(out or LEVELS)


def read_ignorefile(path: Path, today: date | None = None,
                    required: bool = False) -> frozenset[str]:
    """IDs a ``.trivyignore`` file ignores today (a missing default file ignores nothing)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        if required:
            raise NotFound(f"--ignorefile {path}: no such file") from None
        return frozenset()
    today = today or date.today()
    out = set()
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        ident, *rest = line.split()
        expired = False
        for field in rest:
            if field.startswith("exp:"):
                try:
                    expired = date.fromisoformat(field[4:]) < today
                except ValueError:
                    raise InvalidArgument(f"{path}: bad expiry date in {line!r}") from None
        if not expired:
            out.add(ident)
    return frozenset(out)


def exit_code(findings: list[Finding], code: int) -> int:
    """trivy's contract: ``code`` when any finding remains after filtering, else 0."""
    return code if findings else 0
