"""``pallet network create/ls/inspect/rm/prune/connect/disconnect``."""

from __future__ import annotations

from pallet.cli.commands.system import inspect_objects
from pallet.cli.flagerrors import UsageError
from pallet.cli.flags import argument, command, option
from pallet.cli.format.table import Row, render_rows
from pallet.cli.session import api
from pallet.cli.util import confirm, echo, for_each, parsed
from pallet.notation.filters import parse_filters
from pallet.notation.keyvalue import parse_labels

HEADERS = {"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE",
           "IPv6": "IPV6", "Internal": "INTERNAL", "Labels": "LABELS", "CreatedAt": "CREATED"}
TABLE = "table {{.ID}}\\t{{.Name}}\\t{{.Driver}}\\t{{.Scope}}"


def _kv(values: tuple[str, ...], flag: str) -> dict[str, str]:
    out: dict[str, str] = parsed(list(values), parse_labels, flag)
    return out


@command()
@option("-d", "--driver", default="bridge", help="Driver to manage the Network")
@option("--subnet", multiple=True, help="Subnet in CIDR format")
@option("--gateway", multiple=True, help="IPv4 Gateway for the master subnet")
@option("--ip-range", multiple=True, help="Allocate container ip from a sub-range")
@option("--internal", is_flag=True, help="Restrict external access to the network")
@option("--attachable", is_flag=True, help="Enable manual container attachment")
@option("--ipv6", is_flag=True, help="Enable IPv6 networking")
@option("--label", multiple=True, help="Set metadata on a network")
@option("-o", "--opt", multiple=True, help="Set driver specific options")
@argument("name")
def create(driver: str, subnet: tuple[str, ...], gateway: tuple[str, ...],
           ip_range: tuple[str, ...], internal: bool, attachable: bool, ipv6: bool,
           label: tuple[str, ...], opt: tuple[str, ...], name: str) -> None:
    """Create a network."""
    from pallet.api.netmodels import IPAM, IPAMConfig, NetworkCreate

    if (gateway or ip_range) and not subnet:
        raise UsageError("every ip-range or gateway must have a corresponding subnet")
    pools = [IPAMConfig(Subnet=sub, Gateway=gateway[i] if i < len(gateway) else "",
                        IPRange=ip_range[i] if i < len(ip_range) else "")
             for i, sub in enumerate(subnet)]
    created = api().networks.create(NetworkCreate(
        Name=name, Driver=driver, Internal=internal, Attachable=attachable, EnableIPv6=ipv6,
        Labels=_kv(label, "--label"), Options=_kv(opt, "--opt"), IPAM=IPAM(Config=pools)))
    echo(created.Id)


@command("ls")
@option("-f", "--filter", "filters", multiple=True, help="Provide filter values")
@option("--format", "fmt", default="", help="Format output using a Go template")
@option("--no-trunc", is_flag=True, help="Do not truncate the output")
@option("-q", "--quiet", is_flag=True, help="Only display network IDs")
def ls(filters: tuple[str, ...], fmt: str, no_trunc: bool, quiet: bool) -> None:
    """List networks."""
    flt = parsed(list(filters), parse_filters, "--filter")
    items = sorted(api().networks.list(flt), key=lambda n: n.Name)
    ids = [n.Id if no_trunc else n.Id[:12] for n in items]
    if quiet and not fmt:
        echo("".join(i + "\n" for i in ids), nl=False)
        return
    rows = []
    for n, ident in zip(items, ids, strict=True):
        labels = n.Labels or {}
        rows.append(Row({
            "ID": ident, "Name": n.Name, "Driver": n.Driver, "Scope": n.Scope,
            "IPv6": str(n.EnableIPv6).lower(), "Internal": str(n.Internal).lower(),
            "Labels": ",".join(f"{k}={v}" for k, v in labels.items()),
            "CreatedAt": n.Created,
        }, labels))
    echo(render_rows(fmt if fmt and fmt != "table" else TABLE, rows, HEADERS), nl=False)


@command()
@option("-f", "--format", "fmt", default="", help="Format output using a Go template")
@option("-v", "--verbose", is_flag=True, help="Verbose output for diagnostics")
@argument("names", nargs=-1, required=True)
def inspect(fmt: str, verbose: bool, names: tuple[str, ...]) -> None:
    """Display detailed information on one or more networks."""
    inspect_objects(names, ["network"], fmt, False)


@command()
@option("-f", "--force", is_flag=True, help="Do not error if the network does not exist")
@argument("names", nargs=-1, required=True)
def rm(force: bool, names: tuple[str, ...]) -> None:
    """Remove one or more networks."""
    from pallet.errors import NotFound

    networks = api().networks

    def remove(ref: str) -> None:
        try:
            networks.remove(ref)
        except NotFound:
            if not force:
                raise

    for_each(names, remove)


@command()
@option("-f", "--force", is_flag=True, help="Do not prompt for confirmation")
@option("--filter", "filters", multiple=True, help="Provide filter values")
def prune(force: bool, filters: tuple[str, ...]) -> None:
    """Remove all unused networks."""
    flt = parsed(list(filters), parse_filters, "--filter")
    if not force and not confirm("WARNING! This will remove all custom networks not used by "
                                 "at least one container."):
        return
    deleted = api().networks.prune(flt).NetworksDeleted or []
    if deleted:
        echo("Deleted Networks:")
        for name in deleted:
            echo(name)


@command()
@option("--alias", multiple=True, help="Add network-scoped alias for the container")
@option("--ip", default="", help="IPv4 address (e.g., 172.30.100.104)")
@option("--driver-opt", multiple=True, help="driver options for the network")
@argument("network")
@argument("container")
def connect(alias: tuple[str, ...], ip: str, driver_opt: tuple[str, ...], network: str,
            container: str) -> None:
    """Connect a container to a network."""
    from pallet.api.models import EndpointIPAMConfig, EndpointSettings

    endpoint = EndpointSettings(Aliases=list(alias) or None,
                                IPAMConfig=EndpointIPAMConfig(IPv4Address=ip) if ip else None)
    api().networks.connect(network, container, endpoint)


@command()
@option("-f", "--force", is_flag=True, help="Force the container to disconnect")
@argument("network")
@argument("container")
def disconnect(force: bool, network: str, container: str) -> None:
    """Disconnect a container from a network."""
    api().networks.disconnect(network, container, force)
