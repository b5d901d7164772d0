"""A lint report as text (``file:line:col ID severity: message``), JSON or SARIF 2.1.0.

SARIF is what code-scanning UIs read: one run whose driver lists the rules that fired
(id, reason, fix, default level) and one result per finding with its physical location.
Severities map to SARIF levels: error and warning as they are, info and style as note.
"""

from __future__ import annotations

from typing import Any

import msgspec

import pallet
from pallet.lint.catalogue import RULES
from pallet.lint.model import Finding, Report

FORMATS = ("text", "json", "sarif")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "info": "note", "style": "note"}


def text(report: Report, color: bool = False) -> str:
    return "".join(_line(f, color) + "\n" for f in report.findings)


def _line(f: Finding, color: bool) -> str:
    sev = f.severity
    if color:
        code = {"error": "31", "warning": "33"}.get(sev, "36")
        sev = f"\x1b[{code}m{sev}\x1b[0m"
    return f"{f.place} {f.rule} {sev}: {f.message} (fix: {f.fix})"


def as_json(report: Report) -> bytes:
    return msgspec.json.encode(report)


def sarif(report: Report) -> dict[str, Any]:
    ids = sorted({f.rule for f in report.findings})
    index = {rule_id: i for i, rule_id in enumerate(ids)}
    rules = []
    for rule_id in ids:
        r = RULES[rule_id]
        props: dict[str, Any] = {"tags": ["dockerfile" if rule_id < "PL2" else "compose"]}
        if r.hadolint:
            props["hadolint"] = list(r.hadolint)
        rules.append({
            "id": r.id, "name": r.id,
            "shortDescription": {"text": r.title},
            "help": {"text": r.fix},
            "defaultConfiguration": {"level": _LEVEL[r.severity]},
            "properties": props,
        })
    results = [{
        "ruleId": f.rule, "ruleIndex": index[f.rule], "level": _LEVEL[f.severity],
        "message": {"text": f"{f.message} (fix: {f.fix})"},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": f.file},
            "region": {"startLine": f.line, "startColumn": f.col},
        }}],
    } for f in report.findings]
    return {
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "pallet-lint", "version": pallet.__version__,
                                "rules": rules}},
            "results": results,
        }],
    }


def render(report: Report, fmt: str, color: bool = False) -> bytes:
    if fmt == "json":
        return as_json(report) + b"\n"
    if fmt == "sarif":
        return msgspec.json.encode(sarif(report)) + b"\n"
    return text(report, color).encode()
