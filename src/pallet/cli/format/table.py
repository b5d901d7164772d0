"""Docker's output formatting: ``table`` templates through a tabwriter, raw
templates one line per object, and the header context."""

from __future__ import annotations

import unicodedata

from pallet.cli.format.template import Template

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    Context = dict[str, Any]
else:  # the same class at run time
    Context = dict


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def tabwrite(lines: Iterable[str], minwidth: int = 10, padding: int = 3) -> str:
    """Go's ``tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`` for tab-separated lines."""
    rows = [line.split("\t") for line in lines]
    widths: dict[int, int] = {}
    for cells in rows:
        for j, cell in enumerate(cells[:-1]):
            widths[j] = max(widths.get(j, 0), _width(cell) + padding, minwidth)
    out = []
    for cells in rows:
        parts = [cell + " " * (widths[j] - _width(cell)) for j, cell in enumerate(cells[:-1])]
        parts.append(cells[-1])
        out.append("".join(parts))
    return "".join(line + "\n" for line in out)


def unescape(fmt: str) -> str:
    return fmt.replace("\\t", "\t").replace("\\n", "\n")


class Row(Context):
    """One object's formatting context: fields plus ``Label "k"``."""

    def __init__(self, fields: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> None:
        super().__init__(fields)
        self.labels = dict(labels or {})

    def Label(self, name: str) -> str:
        return self.labels.get(name, "")


class HeaderRow(Context):
    def Label(self, name: str) -> str:
        return "LABEL"


def render_rows(fmt: str, rows: list[Row], headers: Mapping[str, str]) -> str:
    """Format rows as Docker's ``--format`` does (``table`` prefix adds a header)."""
    if fmt.strip() == "json":
        fmt = "{{json .}}"
    if fmt.startswith("table"):
        tmpl = Template(unescape(fmt[len("table") :].strip()))
        lines = [tmpl.render(HeaderRow(headers))] + [tmpl.render(r) for r in rows]
        return tabwrite("\n".join(lines).split("\n"))
    tmpl = Template(unescape(fmt.strip()))
    return "".join(tmpl.render(r) + "\n" for r in rows)
