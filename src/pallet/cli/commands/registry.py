"""Registry commands: pull, push, login, logout.

Credentials come from Docker's ``config.json`` (see :mod:`credstore`) and travel to
the daemon in ``X-Registry-Auth``, as the docker CLI sends them.
"""

from __future__ import annotations

import sys

import click

from pallet.cli.commands import credstore
from pallet.cli.errors import StatusError
from pallet.cli.progress import show
from pallet.cli.session import api

HELP = {"help_option_names": ["--help"]}


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _split(image: str) -> tuple[str, str]:
    """``name[:tag|@digest]`` -> (name, tag or digest); the tag may be empty."""
    if "@" in image:
        name, _, digest = image.partition("@")
        return name, digest
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1:]
    return image, ""


@click.command(context_settings=HELP)
@click.option("-a", "--all-tags", "all_tags", is_flag=True,
              help="Download all tagged images in the repository")
@click.option("--platform", default="", help="Set platform if server is multi-platform capable")
@click.option("-q", "--quiet", is_flag=True, help="Suppress verbose output")
@click.option("--disable-content-trust", is_flag=True, default=True, hidden=True)
@click.argument("image")
def pull(all_tags: bool, platform: str, quiet: bool, disable_content_trust: bool,
         image: str) -> None:
    """Download an image from a registry."""
    name, tag = _split(image)
    if all_tags and tag:
        raise click.UsageError("tag can't be used with --all-tags/-a")
    if not tag and not all_tags:
        tag = "latest"
        if not quiet:
            click.echo("Using default tag: latest")
    q = {"fromImage": name, "tag": tag or None, "platform": platform or None,
         "all": "1" if all_tags else None}
    resp = api().t.request("POST", "/images/create", q,
                           headers={"X-Registry-Auth": credstore.header_for(name)})
    show(resp.chunks(), _write, quiet=quiet)
    if quiet:
        click.echo(f"{name}{'@' if tag.startswith('sha256:') else ':'}{tag}" if tag else name)


@click.command(context_settings=HELP)
@click.option("-a", "--all-tags", "all_tags", is_flag=True,
              help="Push all tags of an image to the repository")
@click.option("-q", "--quiet", is_flag=True, help="Suppress verbose output")
@click.option("--disable-content-trust", is_flag=True, default=True, hidden=True)
@click.argument("name")
def push(all_tags: bool, quiet: bool, disable_content_trust: bool, name: str) -> None:
    """Upload an image to a registry."""
    from urllib.parse import quote

    repo, tag = _split(name)
    if tag.startswith("sha256:"):
        raise StatusError(1, "pallet: cannot push a digest reference")
    if all_tags and tag:
        raise click.UsageError("tag can't be used with --all-tags/-a")
    if not tag and not all_tags:
        tag = "latest"
        if not quiet:
            click.echo("Using default tag: latest")
    resp = api().t.request("POST", f"/images/{quote(repo, safe='/:')}/push",
                           {"tag": tag or None},
                           headers={"X-Registry-Auth": credstore.header_for(repo)})
    aux = show(resp.chunks(), _write, quiet=quiet)
    if quiet:
        for a in aux:
            if a.get("Tag"):
                click.echo(f"{repo}:{a['Tag']}")


@click.command(context_settings=HELP)
@click.option("-u", "--username", default="", help="Username")
@click.option("-p", "--password", default="", help="Password")
@click.option("--password-stdin", is_flag=True, help="Take the password from stdin")
@click.argument("server", required=False, default="")
def login(username: str, password: str, password_stdin: bool, server: str) -> None:
    """Log in to a registry (Docker Hub when SERVER is omitted)."""
    if password and password_stdin:
        raise click.UsageError("--password and --password-stdin are mutually exclusive")
    if password_stdin:
        if not username:
            raise click.UsageError("Must provide --username with --password-stdin")
        password = sys.stdin.read().rstrip("\r\n")
    elif password:
        click.echo("WARNING! Using --password via the CLI is insecure. Use --password-stdin.",
                   err=True)
    key = credstore.server_key(server)
    if not username:
        if not sys.stdin.isatty():
            raise StatusError(1, "Error: Cannot perform an interactive login from a non TTY"
                                 " device")
        username = click.prompt("Username", default="", show_default=False).strip()
    if not password:
        if not sys.stdin.isatty():
            raise StatusError(1, "Error: Cannot perform an interactive login from a non TTY"
                                 " device")
        password = click.prompt("Password", hide_input=True, default="", show_default=False)
    if not username or not password:
        raise StatusError(1, "Error: Username and password are required")
    body = {"username": username, "password": password, "serveraddress": key}
    doc = api().t.request("POST", "/auth", json_body=body).json()
    path = credstore.store(key, username, password)
    if not credstore.load().get("credsStore"):
        click.echo(f"WARNING! Your password will be stored unencrypted in {path}.", err=True)
    click.echo(str(doc.get("Status") or "Login Succeeded"))


@click.command(context_settings=HELP)
@click.argument("server", required=False, default="")
def logout(server: str) -> None:
    """Log out from a registry (Docker Hub when SERVER is omitted)."""
    key = credstore.server_key(server)
    if credstore.erase(key):
        click.echo(f"Removing login credentials for {key}")
    else:
        click.echo(f"Not logged in to {key}")



