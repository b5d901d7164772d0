"""``pallet system df [-v]`` and ``pallet system prune [-a] [--volumes] [-f]``, with
the docker CLI's tables, warnings and ``Total reclaimed space`` summary."""

from __future__ import annotations

import json

import msgspec

from pallet.cli.flags import command, option
from pallet.cli.format.containers import container_row
from pallet.cli.format.table import tabwrite
from pallet.cli.session import api
from pallet.cli.util import confirm, echo, now, parsed
from pallet.errors import PalletError
from pallet.notation.filters import parse_filters
from pallet.notation.human import ago
from pallet.notation.sizes import human_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pallet.api.responses import DiskUsage
    from pallet.api.view_volumes import Volume, VolumeUsage

ACTIVE_STATES = ("running", "paused", "restarting")


def _size(n: int) -> str:
    return human_size(n, 4)  # the docker CLI's units.HumanSize


def _with_pct(reclaimable: int, total: int) -> str:
    if total <= 0:
        return _size(reclaimable)
    return f"{_size(reclaimable)} ({reclaimable * 100 // total}%)"


def _usage(v: Volume) -> VolumeUsage:
    """A volume's usage; none reported counts as empty and unreferenced."""
    from pallet.api.view_volumes import VolumeUsage

    return v.UsageData or VolumeUsage(Size=0, RefCount=0)


def summary_rows(doc: DiskUsage) -> list[tuple[str, int, int, str, str]]:
    """(type, total, active, size, reclaimable) as ``docker system df`` computes them."""
    images = doc.Images or []
    layers = doc.LayersSize
    used = sum(i.Size - i.SharedSize for i in images if i.Containers > 0 and i.SharedSize >= 0)
    containers = doc.Containers or []
    c_active = [c for c in containers if c.State in ACTIVE_STATES]
    c_size = sum(c.SizeRw or 0 for c in containers)
    c_free = c_size - sum(c.SizeRw or 0 for c in c_active)
    volumes = doc.Volumes or []
    usage = [_usage(v) for v in volumes]
    v_size = sum(max(0, u.Size) for u in usage)
    v_free = sum(max(0, u.Size) for u in usage if u.RefCount == 0)
    cache = doc.BuildCache or []
    b_size = sum(b.Size for b in cache if not b.Shared)
    b_free = sum(b.Size for b in cache if not b.Shared and not b.InUse)
    return [
        ("Images", len(images), sum(i.Containers > 0 for i in images),
         _size(layers), _with_pct(layers - used, layers)),
        ("Containers", len(containers), len(c_active), _size(c_size), _with_pct(c_free, c_size)),
        ("Local Volumes", len(volumes), sum(u.RefCount > 0 for u in usage),
         _size(v_size), _with_pct(v_free, v_size)),
        ("Build Cache", len(cache), sum(b.InUse for b in cache), _size(b_size), _size(b_free)),
    ]


def _since(stamp: str, t: float) -> str:
    from pallet.notation.times import parse_timestamp

    try:
        return ago(float(parse_timestamp(stamp, t)), t)
    except (ValueError, ArithmeticError, PalletError):
        return stamp


def _verbose(doc: DiskUsage, t: float) -> str:
    # docker's formatters: image, container and cache sizes with 3 digits, the rest 4
    out = ["Images space usage:", ""]
    rows = ["REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS"]
    for img in doc.Images or []:
        tag = (img.RepoTags or ["<none>:<none>"])[0]  # docker shows the first tag only
        size, shared = img.Size, img.SharedSize
        repo, _, name = tag.rpartition(":")
        rows.append("\t".join([
            repo, name, img.Id.removeprefix("sha256:")[:12],
            ago(float(img.Created), t), human_size(size), _size(shared),
            _size(size - shared), str(img.Containers)]))
    out += [*tabwrite(rows).splitlines(), "", "Containers space usage:", ""]
    rows = ["CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES"]
    for c in doc.Containers or []:
        r = container_row(msgspec.to_builtins(c), t)
        rows.append("\t".join([r["ID"], r["Image"], r["Command"], r["LocalVolumes"],
                               human_size(c.SizeRw or 0), r["RunningFor"],
                               r["Status"], r["Names"]]))
    out += [*tabwrite(rows).splitlines(), "", "Local Volumes space usage:", ""]
    rows = ["VOLUME NAME\tLINKS\tSIZE"]
    for v in doc.Volumes or []:
        u = _usage(v)
        rows.append(f"{v.Name}\t{u.RefCount}\t{_size(u.Size)}")
    cache = doc.BuildCache or []
    total = sum(b.Size for b in cache if not b.Shared)
    out += [*tabwrite(rows).splitlines(), "", f"Build cache usage: {_size(total)}", ""]
    rows = ["CACHE ID\tCACHE TYPE\tSIZE\tCREATED\tLAST USED\tUSAGE\tSHARED"]
    for b in cache:
        rows.append("\t".join([
            b.ID[:12], b.Type, human_size(b.Size), _since(b.CreatedAt, t),
            _since(b.LastUsedAt or "", t), str(b.UsageCount), str(b.Shared).lower()]))
    out += tabwrite(rows).splitlines()
    return "\n".join(out)


@command()
@option("-v", "--verbose", is_flag=True, help="Show detailed information on space usage")
@option("--format", "fmt", default="", help="Format output: json")
def df(verbose: bool, fmt: str) -> None:
    """Show pallet disk usage."""
    if fmt == "json":
        echo(json.dumps(api().system.df_raw()))
        return
    doc = api().system.df()
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
