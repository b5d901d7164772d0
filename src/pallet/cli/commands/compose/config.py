"""``pallet compose config`` and ``pallet compose version``."""

from __future__ import annotations

from pallet.cli.commands.compose import context
from pallet.cli.flags import argument, command, option
from pallet.cli.util import echo

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pallet.compose.model import Project


@command()
@option("-q", "--quiet", is_flag=True, help="Only validate the configuration, don't print "
        "anything")
@option("--services", is_flag=True, help="Print the service names, one per line")
@option("--volumes", is_flag=True, help="Print the volume names, one per line")
@option("--profiles", is_flag=True, help="Print the profile names, one per line")
@option("--images", is_flag=True, help="Print the image names, one per line")
@option("--networks", is_flag=True, help="Print the network names, one per line")
@option("--environment", is_flag=True, help="Print environment used for interpolation.")
@option("--hash", "hashes", default="", help="Print the service config hash, one per line.")
@option("--format", "fmt", default="yaml", help="Format the output. Values: [yaml | json]")
@option("--no-interpolate", is_flag=True, help="Don't interpolate environment variables")
@option("-o", "--output", default="", help="Save to file (default to stdout)")
@argument("names", nargs=-1, metavar="[SERVICE...]")
def config(quiet: bool, services: bool, volumes: bool, profiles: bool, images: bool,
           networks: bool, environment: bool, hashes: str, fmt: str, no_interpolate: bool,
           output: str, names: tuple[str, ...]) -> None:
    """Parse, resolve and render compose file in canonical format."""
    from pallet.compose.loader import load, load_document

    if fmt not in ("yaml", "json"):
        from pallet.cli.errors import StatusError

        raise StatusError(1, f'unsupported format "{fmt}"')
    options = context.options(interpolate=not no_interpolate, services=names)
    if no_interpolate:
        from pallet.compose.normalize import with_defaults

        loaded = load_document(options)
        context.warn(loaded.warnings)
        doc = with_defaults({**loaded.doc, "name": loaded.name}, loaded.name)
        text = _dump(_sorted({k: v for k, v in doc.items() if v != {}}), fmt)
    else:
        project = load(options)
        context.warn(project.warnings)
        if quiet:
            return
        listing = _listing(project, services, volumes, profiles, images)
        if listing is None:
            listing = _more(project, networks, environment, hashes)
        if listing is not None:
            echo("".join(f"{n}\n" for n in listing), nl=False)
            return
        from pallet.compose import render

        if names:
            from pallet.compose.normalize import selected

            project = selected(project, names)
        # Compose v2 prints its JSON without a final newline
        text = render.to_json(project) if fmt == "json" else render.to_yaml(project)
    if quiet:
        return
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        echo(text, nl=False)


def _listing(project: Project, services: bool, volumes: bool, profiles: bool,
             images: bool) -> list[str] | None:
    if services:
        return project.service_names()
    if volumes:
        return sorted(project.volumes or {})
    if profiles:
        names = {p for s in [*project.services.values(), *project.disabled.values()]
                 for p in s.profiles or []}
        return sorted(names)
    if images:
        return [s.image or f"{project.name}-{n}" for n, s in sorted(project.services.items())]
    return None


def _more(project: Project, networks: bool, environment: bool,
          hashes: str) -> list[str] | None:
    if networks:
        return sorted(project.networks or {})
    if environment:
        return [f"{k}={v}" for k, v in sorted(project.environment.items())]
    if hashes:
        from pallet.compose.confighash import project_hashes

        wanted = set(project.services) if hashes == "*" else set(hashes.split(","))
        return [f"{n} {h}" for n, h in sorted(project_hashes(project).items()) if n in wanted]
    return None


def _sorted(value: object) -> object:
    """Keys sorted at every level, as Compose v2 prints a document it did not model."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _dump(doc: object, fmt: str) -> str:
    import msgspec

    if fmt == "json":
        return msgspec.json.format(msgspec.json.encode(doc), indent=4).decode() + "\n"
    from pallet.compose.yamlout import dump_yaml

    return dump_yaml(doc)


@command()
@option("-f", "--format", "fmt", default="", help="Format the output. Values: [pretty | json]")
@option("--short", is_flag=True, help="Shows only Compose's version number")
def version(fmt: str, short: bool) -> None:
    """Show the Docker Compose version information."""
    from pallet import __version__

    if short:
        echo(__version__)
    elif fmt == "json":
        echo(f'{{"version":"v{__version__}"}}')
    else:
        echo(f"pallet compose version v{__version__}")
