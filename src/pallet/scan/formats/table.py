"""Plain-text tables: findings with a per-severity total, or the package list."""

from __future__ import annotations

from collections import Counter

from pallet.scancore.model import Finding, Inventory


def _columns(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["   ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [header, *rows]]
    return "\n".join(lines) + "\n"


def short_layer(diff_id: str) -> str:
    return diff_id.removeprefix("sha256:")[:12]


def _title(inv: Inventory) -> str:
    os_name = inv.os.pretty_name or " ".join(x for x in (inv.os.id, inv.os.version_id) if x)
    return f"{inv.image} ({os_name or 'unknown OS'})"


def render_findings(inv: Inventory, findings: list[Finding], severities: list[str]) -> str:
    counts = Counter(f.severity for f in findings)
    total = ", ".join(f"{s}: {counts.get(s, 0)}" for s in severities)
    out = f"{_title(inv)}\n\nTotal: {len(findings)} ({total})\n"
    if findings:
        rows = [[f.package, f.id, f.severity, f.installed, f.fixed or "(not fixed)",
                 short_layer(f.layer), f.summary[:60]] for f in findings]
        out += "\n" + _columns(["PACKAGE", "VULNERABILITY", "SEVERITY", "INSTALLED", "FIXED",
                                "LAYER", "TITLE"], rows)
    return out


def render_inventory(inv: Inventory) -> str:
    rows = [[p.name, p.version, p.type, p.source if p.source != p.name else "",
             short_layer(p.layer), p.created_by[:50]] for p in inv.packages]
    out = f"{_title(inv)}: {len(inv.packages)} packages\n\n"
    out += _columns(["NAME", "VERSION", "TYPE", "SOURCE", "LAYER", "CREATED BY"], rows)
    return out + "".join(f"warning: {w}\n" for w in inv.warnings)
