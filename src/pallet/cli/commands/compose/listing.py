"""``pallet compose`` ps, ls, images, top and port: what the engine holds of a project
(or of every project, for ``ls``), found by the Compose labels and printed in Compose
v2's columns, ``--format table|json|TEMPLATE`` included.
"""

from __future__ import annotations

import json

from pallet.cli.commands.compose import target
from pallet.cli.errors import StatusError
from pallet.cli.flags import argument, command, option
from pallet.cli.util import echo

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from pallet.cli.format.table import Row

PS_TABLE = ("table {{.Name}}\\t{{.Image}}\\t{{.Command}}\\t{{.Service}}\\t{{.RunningFor}}"
            "\\t{{.Status}}\\t{{.Ports}}")
PS_HEADERS = {"Name": "NAME", "Image": "IMAGE", "Command": "COMMAND", "Service": "SERVICE",
              "RunningFor": "CREATED", "Status": "STATUS", "Ports": "PORTS", "ID": "ID",
              "State": "STATE", "Health": "HEALTH", "Project": "PROJECT",
              "CreatedAt": "CREATED AT", "ExitCode": "EXIT CODE", "Labels": "LABELS",
              "Mounts": "MOUNTS", "Networks": "NETWORKS", "Size": "SIZE"}
STATES = ("paused", "restarting", "removing", "running", "dead", "created", "exited")


def health_of(status: str) -> str:
    """The health word inside a ``Status`` such as ``Up 3 seconds (healthy)``."""
    for word in ("health: starting", "unhealthy", "healthy"):
        if f"({word})" in status:
            return word.removeprefix("health: ")
    return ""


def ps_row(doc: dict[str, Any], now: float) -> Row:
    import re

    from pallet.cli.format.containers import container_row
    from pallet.compose import labels

    row = container_row(doc, now, trunc=True)
    lab = doc.get("Labels") or {}
    status = str(doc.get("Status", ""))
    code = re.search(r"Exited \((\d+)\)", status)
    row.update({
        "Name": row["Names"], "Service": lab.get(labels.SERVICE, ""),
        "Project": lab.get(labels.PROJECT, ""), "Health": health_of(status),
        "ExitCode": int(code.group(1)) if code else 0,
        "Publishers": [{"URL": p.get("IP", ""), "TargetPort": p.get("PrivatePort", 0),
                        "PublishedPort": p.get("PublicPort", 0),
                        "Protocol": p.get("Type", "tcp")} for p in doc.get("Ports") or []],
    })
    return row


def _render(fmt: str, rows: list[Row], headers: dict[str, str]) -> None:
    from pallet.cli.format.table import render_rows

    if fmt == "json":
        for r in rows:
            echo(json.dumps(dict(r), separators=(",", ":")))
        return
    echo(render_rows(fmt if fmt != "table" else PS_TABLE, rows, headers), nl=False)


@command()
@option("-a", "--all", "all_", is_flag=True, help="Show all stopped containers (including "
        "those created by the run command)")
@option("-q", "--quiet", is_flag=True, help="Only display IDs")
@option("--services", is_flag=True, help="Display services")
@option("--status", multiple=True, help="Filter services by status. Values: [paused | "
        "restarting | removing | running | dead | created | exited]")
@option("--filter", "filters", multiple=True, help="Filter services by a property (supported "
        "filters: status)")
@option("--format", "fmt", default="table", help="Format output using a custom template")
@option("--no-trunc", is_flag=True, help="Don't truncate output")
@option("--orphans/--no-orphans", default=True, help="Include orphaned services (not "
        "declared by project)")
@argument("services_", nargs=-1, metavar="[SERVICE...]")
def ps(all_: bool, quiet: bool, services: bool, status: tuple[str, ...],
       filters: tuple[str, ...], fmt: str, no_trunc: bool, orphans: bool,
       services_: tuple[str, ...]) -> None:
    """List containers."""
    from pallet.cli.util import now
    from pallet.compose import labels

    wanted_states = set(status)
    for f in filters:
        key, _, value = f.partition("=")
        if key != "status":
            raise StatusError(1, f"unsupported filter: {key}")
        wanted_states.add(value)
    for s in wanted_states:
        if s not in STATES:
            raise StatusError(1, f"invalid status: {s}")
    proj = target.project_or_name()
    chosen = target.services_of(proj, services_)
    docs = target.engine().containers(target.name_of(proj), all=all_ or bool(wanted_states))
    known = set(proj.services) if not isinstance(proj, str) else None
    docs = [d for d in docs
            if (all_ or not labels.is_oneoff(d.get("Labels") or {}))
            and (not chosen or (d.get("Labels") or {}).get(labels.SERVICE) in chosen)
            and (not wanted_states or d.get("State") in wanted_states)
            and (orphans or known is None
                 or (d.get("Labels") or {}).get(labels.SERVICE) in known)]
    docs.sort(key=lambda d: str((d.get("Names") or [""])[0]))
    if services:
        names = sorted({(d.get("Labels") or {}).get(labels.SERVICE, "") for d in docs})
        echo("".join(n + "\n" for n in names), nl=False)
        return
    if quiet:
        echo("".join(str(d["Id"]) + "\n" for d in docs), nl=False)
        return
    t = now()
    _render(fmt, [ps_row(d, t) for d in docs], PS_HEADERS)


@command()
@option("-a", "--all", "all_", is_flag=True, help="Show all stopped Compose projects")
@option("-q", "--quiet", is_flag=True, help="Only display project names")
@option("--filter", "filters", multiple=True, help="Filter output based on conditions "
        "provided")
@option("--format", "fmt", default="table", help='Format the output. Values: [table | json]')
def ls(all_: bool, quiet: bool, filters: tuple[str, ...], fmt: str) -> None:
    """List running compose projects."""
    from pallet.cli.commands.compose.tables import PRETTY_MIN_WIDTH
    from pallet.cli.format.table import tabwrite
    from pallet.cli.session import api
    from pallet.compose import labels

    docs = api().containers.list(all=True, filters={"label": [labels.PROJECT]})
    projects: dict[str, dict[str, Any]] = {}
    for d in docs:
        lab = d.get("Labels") or {}
        p = projects.setdefault(lab[labels.PROJECT], {"states": {}, "files": set()})
        state = str(d.get("State", ""))
        p["states"][state] = p["states"].get(state, 0) + 1
        if lab.get(labels.CONFIG_FILES):
            p["files"].add(lab[labels.CONFIG_FILES])
    names = [n for n in sorted(projects) if all_ or "running" in projects[n]["states"]]
    for f in filters:
        key, _, value = f.partition("=")
        if key == "name":
            names = [n for n in names if value in n]
    if quiet:
        echo("".join(n + "\n" for n in names), nl=False)
        return
    rows = [{"Name": n, "Status": ", ".join(f"{s}({c})" for s, c in
                                            sorted(projects[n]["states"].items())),
             "ConfigFiles": ",".join(sorted(projects[n]["files"]))} for n in names]
    if fmt == "json":
        echo(json.dumps(rows, separators=(",", ":")))
        return
    lines = ["NAME\tSTATUS\tCONFIG FILES"] + [
        f"{r['Name']}\t{r['Status']}\t{r['ConfigFiles']}" for r in rows]
    echo(tabwrite(lines, minwidth=PRETTY_MIN_WIDTH), nl=False)


@command()
@option("-q", "--quiet", is_flag=True, help="Only display IDs")
@option("--format", "fmt", default="table", help='Format the output. Values: [table | json]')
@argument("services", nargs=-1, metavar="[SERVICE...]")
def images(quiet: bool, fmt: str, services: tuple[str, ...]) -> None:
    """List images used by the created containers."""
    from pallet.cli.commands.compose.ops import _containers
    from pallet.cli.commands.compose.tables import image_row, images_table
    from pallet.cli.session import api
    from pallet.cli.util import now

    client = api()
    docs = _containers(target.project_or_name(), services)
    # each image once, however many containers (replicas) run it
    refs = [str(d.get("ImageID") or d.get("Image")) for d in docs]
    inspected = {ref: client.images.inspect(ref) for ref in dict.fromkeys(refs)}
    rows = [image_row(d, inspected[ref]) for d, ref in zip(docs, refs, strict=True)]
    if quiet:
        ids = dict.fromkeys(str(r["ID"]).removeprefix("sha256:") for r in rows)
        echo("".join(i + "\n" for i in ids), nl=False)
    elif fmt == "json":
        echo(json.dumps([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
                        separators=(",", ":")))
    else:
        echo(images_table(rows, now()), nl=False)


@command()
@argument("services", nargs=-1, metavar="[SERVICES...]")
def top(services: tuple[str, ...]) -> None:
    """Display the running processes."""
    from pallet.cli.commands.compose.ops import _containers
    from pallet.cli.commands.compose.tables import TopSection, top_table
    from pallet.cli.session import api
    from pallet.compose import labels

    client = api()
    sections = []
    for d in _containers(target.project_or_name(), services, oneoff=True):
        if d.get("State") != "running":
            continue
        doc = client.containers.top(str(d["Id"]))
        lab = d.get("Labels") or {}
        name = str(d["Names"][0]).lstrip("/")
        sections.append(TopSection(
            name, lab.get(labels.SERVICE, name), lab.get(labels.CONTAINER_NUMBER, ""),
            list(doc.Titles or []), [[str(x) for x in p] for p in doc.Processes or []]))
    echo(top_table(sections), nl=False)


@command()
@option("--protocol", default="tcp", help="tcp or udp")
@option("--index", type=int, default=0, help="Index of the container if service has "
        "multiple replicas")
@argument("service")
@argument("private_port", metavar="PRIVATE_PORT")
def port(protocol: str, index: int, service: str, private_port: str) -> None:
    """Print the public port for a port binding."""
    from pallet.cli.commands.compose.ops import _containers
    from pallet.compose import labels

    docs = _containers(target.project_or_name(), (service,))
    if index:
        docs = [d for d in docs if labels.number_of(d.get("Labels") or {}) == index]
    if not docs:
        from pallet.cli.commands.compose.interactive import not_running

        raise not_running(service, index)
    for p in docs[0].get("Ports") or []:
        if str(p.get("PrivatePort")) == private_port and p.get("Type", "tcp") == protocol \
                and p.get("PublicPort"):
            echo(f"{p.get('IP') or '0.0.0.0'}:{p['PublicPort']}")
            return
    ports = ", ".join(f"{p.get('PublicPort', 0)}/{p.get('Type', 'tcp')}"
                      for p in docs[0].get("Ports") or [])  # Compose v2 lists public ports
    raise StatusError(1, f"no port {private_port}/{protocol} for container "
                         f"{str(docs[0]['Names'][0]).lstrip('/')}: {ports}")
