"""Compose v2's tables for ``compose top`` and ``compose images``, as pure functions over
what the engine answered (so they are tested without one).

``top`` is one table over every running container of the project: ``SERVICE`` and ``#``
(the replica number) first, then the process columns in the order the containers' answers
name them, ``CMD`` moved last, ``-`` where a container lacks a column; rows by container
name; Go's tabwriter with minimum width 4 and padding 2. ``images`` names each container's
image by the reference the container was created from (not the image's first tag, which
may be another project's build of the same content) with Compose v2's columns, including
``PLATFORM`` and ``CREATED`` (the last tagging), in its pretty-section tabwriter (minimum
width 20, padding 3).
"""

from __future__ import annotations

from typing import Any

import msgspec

from pallet.cli.format.table import tabwrite

PRETTY_MIN_WIDTH = 20  # Compose v2's formatter.PrintPrettySection


class TopSection(msgspec.Struct, frozen=True):
    """One running container's ``GET /containers/{id}/top`` answer, with its labels' facts."""

    name: str
    service: str
    replica: str
    titles: list[str]
    processes: list[list[str]]


def top_table(sections: list[TopSection]) -> str:
    """Compose v2's ``top`` output ("" when no container runs a process)."""
    header = ["SERVICE", "#"]
    rows: list[dict[str, str]] = []
    for sec in sorted(sections, key=lambda s: s.name):
        for proc in sec.processes:
            row = {"SERVICE": sec.service, "#": sec.replica}
            for i, title in enumerate(sec.titles):
                if title not in header:
                    header.append(title)
                row[title] = str(proc[i]) if i < len(proc) else ""
            rows.append(row)
    if not rows:
        return ""
    if "CMD" in header:
        header.remove("CMD")
        header.append("CMD")
    lines = ["\t".join(header)] + ["\t".join(r.get(h, "-") for h in header) for r in rows]
    return tabwrite(lines, minwidth=4, padding=2)


def image_reference(ref: str) -> tuple[str, str]:
    """``(repository, tag)`` of a container's image reference in the familiar form
    (``("postgres", "15-alpine")``, ``("web", "")`` when a digest pins it); ``("", "")``
    for an image ID, which names no repository."""
    from pallet.errors import InvalidArgument
    from pallet.oci.reference import parse

    if ref.startswith("sha256:"):
        return "", ""
    try:
        parsed = parse(ref)
    except InvalidArgument:  # an image ID (64 hex digits) or nothing
        return "", ""
    return parsed.familiar_name, "" if parsed.digest else parsed.tag or ""


def platform_of(image: dict[str, Any]) -> str:
    """containerd's ``platforms.Format``: ``os/arch[/variant]`` of an image inspect."""
    parts = [str(image.get("Os") or "unknown"), str(image.get("Architecture") or "unknown")]
    if image.get("Variant"):
        parts.append(str(image["Variant"]))
    return "/".join(parts)


def images_table(rows: list[dict[str, Any]], now: float) -> str:
    """Compose v2's ``images`` table; each row as :func:`image_row` makes it."""
    from pallet.notation.human import human_duration
    from pallet.notation.sizes import human_size

    lines = ["CONTAINER\tREPOSITORY\tTAG\tPLATFORM\tIMAGE ID\tSIZE\tCREATED"]
    for r in sorted(rows, key=lambda r: str(r["ContainerName"])):
        lines.append("\t".join((
            str(r["ContainerName"]), str(r["Repository"]) or "<none>", str(r["Tag"]) or "<none>",
            str(r["Platform"]), str(r["ID"]).removeprefix("sha256:")[:12],
            human_size(int(r["Size"])), human_duration(now - float(r["_tagged"])) + " ago")))
    return tabwrite(lines, minwidth=PRETTY_MIN_WIDTH, padding=3)


def image_row(container: dict[str, Any], image: dict[str, Any]) -> dict[str, Any]:
    """One container's row: Compose v2's JSON fields, plus ``_tagged`` (unix seconds of
    the image's last tagging, else its creation) for the table."""
    from pallet.notation.times import parse_iso

    repo, tag = image_reference(str(container.get("Image") or ""))
    created = str(image.get("Created") or "")
    tagged = str((image.get("Metadata") or {}).get("LastTagTime") or "")
    when = parse_iso(tagged) or parse_iso(created)
    return {"ID": str(image.get("Id", "")),
            "ContainerName": str(container["Names"][0]).lstrip("/"),
            "Repository": repo, "Tag": tag, "Platform": platform_of(image),
            "Size": int(image.get("Size") or 0),
            "LastTagTime": tagged if parse_iso(tagged) else created, "_tagged": when}
