"""What the linter reports: severities, rules and findings (msgspec Structs).

A :class:`Finding` is one rule broken at one place (``file:line:col``, 1-based); its
reason and fix come from the rule, its message says what was seen there.
"""

from __future__ import annotations

import msgspec

# most severe first; ``--failure-threshold`` names one of them (or ``none``)
SEVERITIES = ("error", "warning", "info", "style")


def rank(severity: str) -> int:
    """0 for ``error`` ... 3 for ``style``; a higher rank is less severe."""
    return SEVERITIES.index(severity)


class Rule(msgspec.Struct, frozen=True):
    id: str  # stable: PL1xx Dockerfile, PL2xx compose
    severity: str
    title: str  # the one-line reason
    fix: str
    hadolint: tuple[str, ...] = ()  # the hadolint rules this one covers
    guide: str = ""  # the guide's section that names the anti-pattern


class Finding(msgspec.Struct, frozen=True):
    rule: str
    severity: str
    message: str
    fix: str
    file: str
    line: int
    col: int = 1

    @property
    def place(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class Report(msgspec.Struct):
    """Findings of one lint run, sorted by place, and whether they fail the run."""

    findings: list[Finding]
    failure_threshold: str = "info"
    failed: bool = False


class LintRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``POST /pallet/lint``'s body: one Dockerfile's text and how to judge it."""

    dockerfile: str
    name: str = "Dockerfile"
    dockerignore: str | None = None  # the context's .dockerignore; None: the context has none
    ignore: list[str] = msgspec.field(default_factory=list)
    failure_threshold: str = "info"
