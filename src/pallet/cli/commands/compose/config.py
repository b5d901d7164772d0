"""``pallet compose config`` and ``pallet compose version``."""

from __future__ import annotations

from pallet.cli.commands.compose import context
from pallet.cli.flags import command, option
from pallet.cli.util import echo


@command()
@option("-q", "--quiet", is_flag=True, help="Only validate the configuration, don't print "
        "anything")
@option("--services", is_flag=True, help="Print the service names, one per line")
@option("--volumes", is_flag=True, help="Print the volume names, one per line")
@option("--profiles", is_flag=True, help="Print the profile names, one per line")
@option("--images", is_flag=True, help="Print the image names, one per line")
@option("--format", "fmt", default="yaml", help="Format the output. Values: [yaml | json]")
@option("--no-interpolate", is_flag=True, help="Don't interpolate environment variables")
@option("-o", "--output", default="", help="Save to file (default to stdout)")
def config(quiet: bool, services: bool, volumes: bool, profiles: bool, images: bool,
           fmt: str, no_interpolate: bool, output: str) -> None:
    """Parse, resolve and render compose file in canonical format."""
    from pallet.compose.loader import load

    project = load(context.options(interpolate=not no_interpolate))
    if quiet:
        return
    if services:
        echo("".join(f"{n}\n" for n in project.service_names()), nl=False)
        return
    if volumes:
        echo("".join(f"{n}\n" for n in sorted(project.volumes or {})), nl=False)
        return
    import msgspec

    doc = msgspec.to_builtins(project)
    for key in [k for k in doc if k.startswith("x-pallet-")]:
        del doc[key]
    if fmt == "json":
        text = msgspec.json.format(msgspec.json.encode(doc), indent=4).decode() + "\n"
    else:
        import yaml

        text = yaml.safe_dump(doc, sort_keys=False)
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        echo(text, nl=False)


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
