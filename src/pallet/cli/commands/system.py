"""System commands: version, info, events, inspect (any object, or typed)."""

from __future__ import annotations

import json
import sys

from pallet import API_VERSION, __version__
from pallet.cli.errors import StatusError, describe
from pallet.cli.flags import argument, command, option
from pallet.cli.format.template import Template, TemplateError
from pallet.cli.session import api
from pallet.cli.util import echo, now, parsed
from pallet.client import Client
from pallet.errors import NotFound, PalletError
from pallet.notation.filters import parse_filters

TYPE_CHECKING = False  # typing costs ~3 ms at start-up; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Getter = Callable[[Client, str, bool], dict[str, Any]]


def _template(fmt: str) -> Template:
    from pallet.cli.format.table import unescape

    try:
        return Template(unescape(fmt))
    except TemplateError as err:
        raise StatusError(1, f"template parsing error: {err}") from None


def _render(tmpl: Template, obj: Any) -> str:
    try:
        return tmpl.render(obj)
    except TemplateError as err:
        raise StatusError(1, f"template: {err}") from None


@command()
@option("-f", "--format", "fmt", default="", help="Format output using a Go template")
def version(fmt: str) -> None:
    """Show the pallet version information."""
    import platform  # only version reads it (inspect, events, info do not)

    client_info = {
        "Version": __version__,
        "ApiVersion": API_VERSION,
        "DefaultAPIVersion": API_VERSION,
        "GoVersion": "python" + platform.python_version(),
        "Os": sys.platform,
        "Arch": platform.machine(),
        "Context": "default",
    }
    server: dict[str, Any] | None = None
    server_err: PalletError | None = None
    try:
        server = api().system.version()
    except PalletError as err:
        server_err = err
    if fmt:
        echo(_render(_template(fmt), {"Client": client_info, "Server": server}))
    else:
        lines = [
            "Client:",
            f" Version:           {__version__}",
            f" API version:       {API_VERSION}",
            f" Python version:    {platform.python_version()}",
            f" OS/Arch:           linux/{_arch(platform.machine())}",
            " Context:           default",
        ]
        if server is not None:
            lines += [
                "",
                f"Server: {(server.get('Platform') or {}).get('Name') or 'pallet'}",
                " Engine:",
                f"  Version:          {server.get('Version', '')}",
                f"  API version:      {server.get('ApiVersion', '')} "
                f"(minimum version {server.get('MinAPIVersion', '')})",
                f"  Git commit:       {server.get('GitCommit', '')}",
                f"  Built:            {server.get('BuildTime', '')}",
                f"  OS/Arch:          {server.get('Os', '')}/{server.get('Arch', '')}",
                f"  Kernel version:   {server.get('KernelVersion', '')}",
            ]
            for comp in server.get("Components") or []:
                if comp.get("Name") == "Engine":
                    continue
                lines += [f" {comp.get('Name')}:", f"  Version:          {comp.get('Version', '')}"]
        echo("\n".join(lines))
    if server_err is not None:
        raise StatusError(1, describe(server_err))


def _arch(machine: str) -> str:
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


@command()
@option("-f", "--format", "fmt", default="", help="Format output using a Go template")
def info(fmt: str) -> None:
    """Display system-wide information."""
    doc = api().system.info()
    if fmt:
        echo(_render(_template(fmt), doc))
        return
    lines = [
        "Client:",
        f" Version:    {__version__}",
        " Context:    default",
        "",
        "Server:",
        f" Containers: {doc.get('Containers', 0)}",
        f"  Running: {doc.get('ContainersRunning', 0)}",
        f"  Paused: {doc.get('ContainersPaused', 0)}",
        f"  Stopped: {doc.get('ContainersStopped', 0)}",
        f" Images: {doc.get('Images', 0)}",
        f" Server Version: {doc.get('ServerVersion', '')}",
        f" Storage Driver: {doc.get('Driver', '')}",
        f" Logging Driver: {doc.get('LoggingDriver', '')}",
        f" Cgroup Driver: {doc.get('CgroupDriver', '')}",
        f" Cgroup Version: {doc.get('CgroupVersion', '')}",
        f" Default Runtime: {doc.get('DefaultRuntime', '')}",
        f" Kernel Version: {doc.get('KernelVersion', '')}",
        f" Operating System: {doc.get('OperatingSystem', '')}",
        f" OSType: {doc.get('OSType', '')}",
        f" Architecture: {doc.get('Architecture', '')}",
        f" CPUs: {doc.get('NCPU', 0)}",
        f" Total Memory: {_gib(int(doc.get('MemTotal') or 0))}",
        f" Name: {doc.get('Name', '')}",
        f" ID: {doc.get('ID', '')}",
        f" Docker Root Dir: {doc.get('DockerRootDir', '')}",
    ]
    security = _security_lines(doc.get("SecurityOptions") or [])
    if security:
        at = lines.index(f" Kernel Version: {doc.get('KernelVersion', '')}")
        lines[at:at] = security
    runtimes = doc.get("Runtimes") or {}
    if runtimes:
        lines.insert(lines.index(f" Default Runtime: {doc.get('DefaultRuntime', '')}"),
                     " Runtimes: " + " ".join(sorted(runtimes)))  # fmt: skip
    echo("\n".join(lines))
    for warning in doc.get("Warnings") or []:
        echo(warning, err=True)


def _security_lines(options: list[str]) -> list[str]:
    """docker info's ``Security Options`` block from ``name=seccomp,profile=builtin``."""
    out = [" Security Options:"]
    for opt in options:
        fields = dict(kv.partition("=")[::2] for kv in str(opt).split(","))
        out.append(f"  {fields.pop('name', opt)}")
        out += [f"   {k.capitalize()}: {v}" for k, v in fields.items()]
    return out if options else []


def _gib(n: int) -> str:
    from pallet.notation.sizes import binary_size

    return binary_size(n)


@command()
@option("--since", default="", help="Show all events created since timestamp")
@option("--until", default="", help="Stream events until this timestamp")
@option("-f", "--filter", "filters", multiple=True, help="Filter output")
@option("--format", "fmt", default="", help="Format output using a Go template")
def events(since: str, until: str, filters: tuple[str, ...], fmt: str) -> None:
    """Get real time events from the server."""
    from datetime import datetime

    from pallet.client.streams import json_lines
    from pallet.notation.times import parse_timestamp

    t = now()
    since_q = parsed(since, lambda v: parse_timestamp(v, t), "--since") if since else None
    until_q = parsed(until, lambda v: parse_timestamp(v, t), "--until") if until else None
    flt = parsed(list(filters), parse_filters, "-f, --filter")
    tmpl = _template("{{json .}}" if fmt == "json" else fmt) if fmt else None
    resp = api().system.events(since_q, until_q, flt)
    try:
        for ev in json_lines(resp.chunks(1)):
            if tmpl is not None:
                echo(_render(tmpl, ev))
                continue
            nanos = int(ev.get("timeNano") or int(ev.get("time", 0)) * 1_000_000_000)
            stamp = datetime.fromtimestamp(nanos // 1_000_000_000).astimezone()
            when = stamp.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos % 1_000_000_000:09d}"
            when += stamp.strftime("%z")[:3] + ":" + stamp.strftime("%z")[3:]
            actor = ev.get("Actor") or {}
            attrs = actor.get("Attributes") or {}
            text = f"{when} {ev.get('Type', '')} {ev.get('Action', '')} {actor.get('ID', '')}"
            if attrs:
                text += " (" + ", ".join(f"{k}={v}" for k, v in sorted(attrs.items())) + ")"
            echo(text)
    except KeyboardInterrupt:
        resp.close()


GETTERS: dict[str, Getter] = {
    "container": lambda c, ref, size: c.containers.inspect(ref, size),
    "image": lambda c, ref, size: c.images.inspect(ref),
    "network": lambda c, ref, size: c.networks.inspect_raw(ref),
    "volume": lambda c, ref, size: c.volumes.inspect_raw(ref),
}


def inspect_objects(refs: tuple[str, ...], kinds: list[str], fmt: str, size: bool) -> None:
    """docker's inspect loop: try each kind in order; ``Error: No such object``."""
    client = api()
    tmpl = _template(fmt) if fmt else None
    found: list[Any] = []
    errors: list[str] = []
    for ref in refs:
        doc: dict[str, Any] | None = None
        last_err: PalletError | None = None
        for kind in kinds:
            try:
                doc = GETTERS[kind](client, ref, size)
                break
            except NotFound as err:
                last_err = err
                continue
        if doc is None:
            if len(kinds) > 1 or last_err is None:
                errors.append(f"Error: No such object: {ref}")
            else:
                errors.append(f"Error: {last_err.message}")
            continue
        found.append(doc)
    if tmpl is not None:
        for doc in found:
            echo(_render(tmpl, doc))
    else:
        text = json.dumps(found, indent=4, ensure_ascii=False) if found else "[]"
        echo(text)
    if errors:
        raise StatusError(1, "\n".join(errors))


_INSPECT_OPTS = [
    option("-f", "--format", "fmt", default="", help="Format output using a Go template"),
    option("-s", "--size", is_flag=True, help="Display total file sizes"),
]


@command()
@_INSPECT_OPTS[0]
@_INSPECT_OPTS[1]
@option("--type", "type_", default="", help="Only inspect objects of the given type")
@argument("names", nargs=-1, required=True)
def inspect(fmt: str, size: bool, type_: str, names: tuple[str, ...]) -> None:
    """Return low-level information on pallet objects."""
    if type_ and type_ not in GETTERS:
        raise StatusError(1, f'"{type_}" is not a valid value for --type')
    kinds = [type_] if type_ else list(GETTERS)
    inspect_objects(names, kinds, fmt, size)


@command("inspect")
@_INSPECT_OPTS[0]
@_INSPECT_OPTS[1]
@argument("names", nargs=-1, required=True)
def container_inspect(fmt: str, size: bool, names: tuple[str, ...]) -> None:
    """Display detailed information on one or more containers."""
    inspect_objects(names, ["container"], fmt, size)


@command("inspect")
@_INSPECT_OPTS[0]
@argument("names", nargs=-1, required=True)
def image_inspect(fmt: str, names: tuple[str, ...]) -> None:
    """Display detailed information on one or more images."""
    inspect_objects(names, ["image"], fmt, False)
