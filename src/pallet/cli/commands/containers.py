"""Container lifecycle and listing: ps, start, stop, restart, kill, rm, pause,
unpause, rename, wait, top, container prune."""

from __future__ import annotations

from pallet.cli.errors import StatusError
from pallet.cli.flags import argument, command, option
from pallet.cli.format.containers import PS_HEADERS, PS_TABLE, container_row
from pallet.cli.format.table import render_rows, tabwrite
from pallet.cli.session import api
from pallet.cli.util import confirm, echo, for_each, now, parsed
from pallet.notation.filters import parse_filters
from pallet.notation.sizes import human_size


@command()
@option("-a", "--all", "all_", is_flag=True, help="Show all containers")
@option("-q", "--quiet", is_flag=True, help="Only display container IDs")
@option("-n", "--last", type=int, default=-1, help="Show n last created containers")
@option("-l", "--latest", is_flag=True, help="Show the latest created container")
@option("-f", "--filter", "filters", multiple=True, help="Filter output")
@option("--format", "fmt", default="", help="Format output using a Go template")
@option("--no-trunc", is_flag=True, help="Don't truncate output")
@option("-s", "--size", is_flag=True, help="Display total file sizes")
def ps(
    all_: bool,
    quiet: bool,
    last: int,
    latest: bool,
    filters: tuple[str, ...],
    fmt: str,
    no_trunc: bool,
    size: bool,
) -> None:
    """List containers."""
    limit = 1 if latest else last
    flt = parsed(list(filters), parse_filters, "-f, --filter")
    want_size = size and not quiet and (not fmt or "Size" in fmt)
    items = api().containers.list(all=all_ or limit > 0, limit=limit, size=want_size, filters=flt)
    if quiet and not fmt:
        fmt = "{{.ID}}"
    elif not fmt or fmt == "table":
        fmt = PS_TABLE + ("\\t{{.Size}}" if size else "")
    t = now()
    rows = [container_row(c, t, trunc=not no_trunc) for c in items]
    echo(render_rows(fmt, rows, PS_HEADERS), nl=False)


@command()
@option("-a", "--attach", is_flag=True, help="Attach STDOUT/STDERR and forward signals")
@option("-i", "--interactive", is_flag=True, help="Attach container's STDIN")
@option("--detach-keys", default=None, hidden=True)
@argument("containers", nargs=-1, required=True)
def start(
    attach: bool, interactive: bool, detach_keys: str | None, containers: tuple[str, ...]
) -> None:
    """Start one or more stopped containers."""
    if attach or interactive:
        from pallet.cli.commands.io import start_attached

        if len(containers) > 1:
            raise StatusError(1, "you cannot start and attach multiple containers at once")
        start_attached(containers[0], interactive)
        return
    for_each(containers, api().containers.start)


@command()
@option("-t", "--timeout", "--time", "timeout", type=int, default=None,
        help="Seconds to wait before killing the container")
@option("-s", "--signal", default=None, help="Signal to send to the container")
@argument("containers", nargs=-1, required=True)
def stop(timeout: int | None, signal: str | None, containers: tuple[str, ...]) -> None:
    """Stop one or more running containers."""
    client = api()
    for_each(containers, lambda c: client.containers.stop(c, timeout, signal), parallel=True)


@command()
@option("-t", "--timeout", "--time", "timeout", type=int, default=None,
        help="Seconds to wait before killing the container")
@option("-s", "--signal", default=None, help="Signal to send to the container")
@argument("containers", nargs=-1, required=True)
def restart(timeout: int | None, signal: str | None, containers: tuple[str, ...]) -> None:
    """Restart one or more containers."""
    client = api()
    for_each(containers, lambda c: client.containers.restart(c, timeout, signal), parallel=True)


@command()
@option("-s", "--signal", default=None, help="Signal to send to the container")
@argument("containers", nargs=-1, required=True)
def kill(signal: str | None, containers: tuple[str, ...]) -> None:
    """Kill one or more running containers."""
    if signal:
        from pallet.notation.signals import validate_signal

        parsed(signal, validate_signal, "-s, --signal")
    client = api()
    for_each(containers, lambda c: client.containers.kill(c, signal), parallel=True)


@command()
@option("-f", "--force", is_flag=True, help="Force the removal of a running container")
@option("-v", "--volumes", is_flag=True, help="Remove anonymous volumes")
@option("-l", "--link", is_flag=True, hidden=True)
@argument("containers", nargs=-1, required=True)
def rm(force: bool, volumes: bool, link: bool, containers: tuple[str, ...]) -> None:
    """Remove one or more containers."""
    client = api()
    for_each(containers, lambda c: client.containers.remove(c, force=force, volumes=volumes),
             parallel=True)


@command()
@argument("containers", nargs=-1, required=True)
def pause(containers: tuple[str, ...]) -> None:
    """Pause all processes within one or more containers."""
    for_each(containers, api().containers.pause, parallel=True)


@command()
@argument("containers", nargs=-1, required=True)
def unpause(containers: tuple[str, ...]) -> None:
    """Unpause all processes within one or more containers."""
    for_each(containers, api().containers.unpause, parallel=True)


@command()
@argument("container")
@argument("new_name")
def rename(container: str, new_name: str) -> None:
    """Rename a container."""
    api().containers.rename(container, new_name)


@command()
@argument("containers", nargs=-1, required=True)
def wait(containers: tuple[str, ...]) -> None:
    """Block until one or more containers stop, then print their exit codes."""
    client = api()

    def one(ref: str) -> None:
        result = client.containers.wait(ref).result()
        if result.Error:
            echo(result.Error, err=True)
        echo(str(result.StatusCode))

    for_each(containers, one, show=False)


@command(interspersed=False)
@argument("container")
@argument("ps_args", nargs=-1, metavar="[ps OPTIONS]")
def top(container: str, ps_args: tuple[str, ...]) -> None:
    """Display the running processes of a container."""
    doc = api().containers.top(container, " ".join(ps_args) or None)
    lines = ["\t".join(doc.Titles or [])]
    lines += ["\t".join(p) for p in doc.Processes or []]
    echo(tabwrite(lines, minwidth=20, padding=3), nl=False)  # docker top: minwidth 20


@command()
@option("-f", "--force", is_flag=True, help="Do not prompt for confirmation")
@option("--filter", "filters", multiple=True, help="Provide filter values")
def prune(force: bool, filters: tuple[str, ...]) -> None:
    """Remove all stopped containers."""
    flt = parsed(list(filters), parse_filters, "--filter")
    if not force and not confirm("WARNING! This will remove all stopped containers."):
        return
    report = api().containers.prune(flt)
    deleted = report.ContainersDeleted or []
    if deleted:
        echo("Deleted Containers:")
        for ident in deleted:
            echo(ident)
        echo("")
    echo(f"Total reclaimed space: {human_size(report.SpaceReclaimed)}")
