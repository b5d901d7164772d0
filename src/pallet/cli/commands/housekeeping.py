"""``pallet system df [-v]`` and ``pallet system prune [-a] [--volumes] [-f]``, with
the docker CLI's tables, warnings and ``Total reclaimed space`` summary."""

from __future__ import annotations

import json
from typing import Any

from pallet.cli.flags import command, option
from pallet.cli.format.containers import container_row
from pallet.cli.format.table import tabwrite
from pallet.cli.session import api
from pallet.cli.util import confirm, echo, now, parsed
from pallet.errors import PalletError
from pallet.notation.filters import parse_filters
from pallet.notation.human import ago
from pallet.notation.sizes import human_size

ACTIVE_STATES = ("running", "paused", "restarting")


def _size(n: int) -> str:
    return human_size(n, 4)  # the docker CLI's units.HumanSize


def _with_pct(reclaimable: int, total: int) -> str:
    if total <= 0:
        return _size(reclaimable)
    return f"{_size(reclaimable)} ({reclaimable * 100 // total}%)"


def summary_rows(doc: dict[str, Any]) -> list[tuple[str, int, int, str, str]]:
    """(type, total, active, size, reclaimable) as ``docker system df`` computes them."""
    images = doc.get("Images") or []
    layers = int(doc.get("LayersSize") or 0)
    used = sum(int(i.get("Size", 0)) - int(i.get("SharedSize", 0)) for i in images
               if int(i.get("Containers") or 0) > 0 and int(i.get("SharedSize", 0)) >= 0)
    containers = doc.get("Containers") or []
    c_active = [c for c in containers if c.get("State") in ACTIVE_STATES]
    c_size = sum(int(c.get("SizeRw") or 0) for c in containers)
    c_free = c_size - sum(int(c.get("SizeRw") or 0) for c in c_active)
    volumes = doc.get("Volumes") or []
    usage = [v.get("UsageData") or {} for v in volumes]
    v_size = sum(max(0, int(u.get("Size", 0))) for u in usage)
    v_free = sum(max(0, int(u.get("Size", 0))) for u in usage if int(u.get("RefCount", 0)) == 0)
    cache = doc.get("BuildCache") or []
    b_size = sum(int(b.get("Size") or 0) for b in cache if not b.get("Shared"))
    b_free = sum(int(b.get("Size") or 0) for b in cache
                 if not b.get("Shared") and not b.get("InUse"))
    return [
        ("Images", len(images), sum(int(i.get("Containers") or 0) > 0 for i in images),
         _size(layers), _with_pct(layers - used, layers)),
        ("Containers", len(containers), len(c_active), _size(c_size), _with_pct(c_free, c_size)),
        ("Local Volumes", len(volumes), sum(int(u.get("RefCount", 0)) > 0 for u in usage),
         _size(v_size), _with_pct(v_free, v_size)),
        ("Build Cache", len(cache), sum(bool(b.get("InUse")) for b in cache), _size(b_size),
         _size(b_free)),
    ]


def _since(stamp: str, t: float) -> str:
    from pallet.notation.times import parse_timestamp

    try:
        return ago(float(parse_timestamp(stamp, t)), t)
    except (ValueError, ArithmeticError, PalletError):
        return stamp


def _verbose(doc: dict[str, Any], t: float) -> str:
    # docker's formatters: image, container and cache sizes with 3 digits, the rest 4
    out = ["Images space usage:", ""]
    rows = ["REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS"]
    for img in doc.get("Images") or []:
        tag = (img.get("RepoTags") or ["<none>:<none>"])[0]  # docker shows the first tag only
        size, shared = int(img.get("Size") or 0), int(img.get("SharedSize") or 0)
        repo, _, name = tag.rpartition(":")
        rows.append("\t".join([
            repo, name, str(img.get("Id", "")).removeprefix("sha256:")[:12],
            ago(float(img.get("Created") or 0), t), human_size(size), _size(shared),
            _size(size - shared), str(img.get("Containers", 0))]))
    out += [*tabwrite(rows).splitlines(), "", "Containers space usage:", ""]
    rows = ["CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES"]
    for c in doc.get("Containers") or []:
        r = container_row(c, t)
        rows.append("\t".join([r["ID"], r["Image"], r["Command"], r["LocalVolumes"],
                               human_size(int(c.get("SizeRw") or 0)), r["RunningFor"],
                               r["Status"], r["Names"]]))
    out += [*tabwrite(rows).splitlines(), "", "Local Volumes space usage:", ""]
    rows = ["VOLUME NAME\tLINKS\tSIZE"]
    for v in doc.get("Volumes") or []:
        u = v.get("UsageData") or {}
        rows.append(f"{v.get('Name', '')}\t{u.get('RefCount', 0)}\t{_size(int(u.get('Size', 0)))}")
    cache = doc.get("BuildCache") or []
    total = sum(int(b.get("Size") or 0) for b in cache if not b.get("Shared"))
    out += [*tabwrite(rows).splitlines(), "", f"Build cache usage: {_size(total)}", ""]
    rows = ["CACHE ID\tCACHE TYPE\tSIZE\tCREATED\tLAST USED\tUSAGE\tSHARED"]
    for b in cache:
        rows.append("\t".join([
            str(b.get("ID", ""))[:12], str(b.get("Type", "")), human_size(int(b.get("Size") or 0)),
            _since(str(b.get("CreatedAt", "")), t), _since(str(b.get("LastUsedAt", "")), t),
            str(b.get("UsageCount", 0)), str(bool(b.get("Shared"))).lower()]))
    out += tabwrite(rows).splitlines()
    return "\n".join(out)


@command()
@option("-v", "--verbose", is_flag=True, help="Show detailed information on space usage")
@option("--format", "fmt", default="", help="Format output: json")
def df(verbose: bool, fmt: str) -> None:
    """Show pallet disk usage."""
    doc = api().system.df_raw()
    if fmt == "json":
        echo(json.dumps(doc))
        return
    if verbose:
        echo(_verbose(doc, now()))
        return
    lines = ["TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE"]
    lines += ["\t".join(str(x) for x in row) for row in summary_rows(doc)]
    echo(tabwrite(lines), nl=False)


def _warning(all_: bool, volumes: bool, filters: tuple[str, ...] = ()) -> str:
    """docker's system prune warning: the items, a blank line, the filters if any
    (``confirm`` adds the question on the next line)."""
    items = ["all stopped containers", "all networks not used by at least one container"]
    if volumes:
        items.append("all anonymous volumes not used by at least one container")
    items.append("all images without at least one container associated to them" if all_
                 else "all dangling images")
    items.append("unused build cache" if not all_ else "all build cache")
    text = "WARNING! This will remove:" + "".join(f"\n  - {i}" for i in items) + "\n"
    if filters:
        text += "\n  Items to be pruned will be filtered with:"
        text += "".join(f"\n  - {f}" for f in filters) + "\n"
    return text


def _section(title: str, items: list[str]) -> None:
    if items:
        echo(title)
        for item in items:
            echo(item)
        echo("")


@command()
@option("-a", "--all", "all_", is_flag=True, help="Remove all unused images not just "
              "dangling ones")
@option("--volumes", is_flag=True, help="Prune anonymous volumes")
@option("-f", "--force", is_flag=True, help="Do not prompt for confirmation")
@option("--filter", "filters", multiple=True, help="Provide filter values")
def prune(all_: bool, volumes: bool, force: bool, filters: tuple[str, ...]) -> None:
    """Remove unused data."""
    flt = parsed(list(filters), parse_filters, "--filter")
    if not force and not confirm(_warning(all_, volumes, filters)):
        return
    client = api()
    ctrs = client.containers.prune(flt)
    _section("Deleted Containers:", ctrs.ContainersDeleted or [])
    _section("Deleted Networks:", client.networks.prune(flt).NetworksDeleted or [])
    space = ctrs.SpaceReclaimed
    if volumes:
        vols = client.volumes.prune(flt)
        space += vols.SpaceReclaimed
        _section("Deleted Volumes:", vols.VolumesDeleted or [])
    imgs = client.images.prune({**flt, "dangling": ["false" if all_ else "true"]})
    space += imgs.SpaceReclaimed
    lines = []
    for entry in imgs.ImagesDeleted or []:
        if entry.Untagged:
            lines.append(f"untagged: {entry.Untagged}")
        if entry.Deleted:
            lines.append(f"deleted: {entry.Deleted}")
    _section("Deleted Images:", lines)
    cache = client.build.prune(all=all_, filters=flt)
    space += cache.SpaceReclaimed
    _section("Deleted build cache objects:", cache.CachesDeleted or [])
    echo(f"Total reclaimed space: {_size(space)}")
