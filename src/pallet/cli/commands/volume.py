"""``pallet volume create/ls/inspect/rm/prune``."""

from __future__ import annotations

from pallet.cli.commands.system import inspect_objects
from pallet.cli.flags import argument, command, option
from pallet.cli.format.table import Row, render_rows
from pallet.cli.session import api
from pallet.cli.util import confirm, echo, for_each, parsed
from pallet.notation.filters import parse_filters
from pallet.notation.keyvalue import parse_labels
from pallet.notation.sizes import human_size

HEADERS = {"Driver": "DRIVER", "Name": "VOLUME NAME", "Scope": "SCOPE",
           "Mountpoint": "MOUNTPOINT", "Labels": "LABELS", "CreatedAt": "CREATED"}
TABLE = "table {{.Driver}}\\t{{.Name}}"


@command()
@option("-d", "--driver", default="local", help="Specify volume driver name")
@option("--label", multiple=True, help="Set metadata for a volume")
@option("-o", "--opt", multiple=True, help="Set driver specific options")
@option("--name", "name_opt", default="", hidden=True)
@argument("name", required=False)
def create(driver: str, label: tuple[str, ...], opt: tuple[str, ...], name_opt: str,
           name: str | None) -> None:
    """Create a volume."""
    from pallet.api.netmodels import VolumeCreate

    vol = api().volumes.create(VolumeCreate(
        Name=name or name_opt, Driver=driver,
        Labels=parsed(list(label), parse_labels, "--label"),
        DriverOpts=parsed(list(opt), parse_labels, "--opt")))
    echo(vol.Name)


@command("ls")
@option("-f", "--filter", "filters", multiple=True, help="Provide filter values")
@option("--format", "fmt", default="", help="Format output using a Go template")
@option("-q", "--quiet", is_flag=True, help="Only display volume names")
def ls(filters: tuple[str, ...], fmt: str, quiet: bool) -> None:
    """List volumes."""
    flt = parsed(list(filters), parse_filters, "--filter")
    items = sorted(api().volumes.list(flt).Volumes or [], key=lambda v: v.Name)
    if quiet and not fmt:
        echo("".join(v.Name + "\n" for v in items), nl=False)
        return
    rows = []
    for v in items:
        labels = v.Labels or {}
        rows.append(Row({
            "Driver": v.Driver, "Name": v.Name, "Scope": v.Scope,
            "Mountpoint": v.Mountpoint, "CreatedAt": v.CreatedAt,
            "Labels": ",".join(f"{k}={val}" for k, val in labels.items()),
        }, labels))
    echo(render_rows(fmt if fmt and fmt != "table" else TABLE, rows, HEADERS), nl=False)


@command()
@option("-f", "--format", "fmt", default="", help="Format output using a Go template")
@argument("names", nargs=-1, required=True)
def inspect(fmt: str, names: tuple[str, ...]) -> None:
    """Display detailed information on one or more volumes."""
    inspect_objects(names, ["volume"], fmt, False)


@command()
@option("-f", "--force", is_flag=True, help="Force the removal of one or more volumes")
@argument("names", nargs=-1, required=True)
def rm(force: bool, names: tuple[str, ...]) -> None:
    """Remove one or more volumes."""
    volumes = api().volumes
    for_each(names, lambda n: volumes.remove(n, force))


@command()
@option("-a", "--all", "all_", is_flag=True, help="Remove all unused volumes, not just "
              "anonymous ones")
@option("-f", "--force", is_flag=True, help="Do not prompt for confirmation")
@option("--filter", "filters", multiple=True, help="Provide filter values")
def prune(all_: bool, force: bool, filters: tuple[str, ...]) -> None:
    """Remove unused local volumes."""
    flt = parsed(list(filters), parse_filters, "--filter")
    if all_:
        flt.setdefault("all", []).append("true")
    warning = ("WARNING! This will remove all local volumes not used by at least one container."
               if all_ else "WARNING! This will remove anonymous local volumes not used by at "
               "least one container.")
    if not force and not confirm(warning):
        return
    report = api().volumes.prune(flt)
    deleted = report.VolumesDeleted or []
    if deleted:
        echo("Deleted Volumes:")
        for name in deleted:
            echo(name)
        echo("")
    echo(f"Total reclaimed space: {human_size(report.SpaceReclaimed)}")
