"""Registry commands: pull, push, login, logout.

Credentials come from Docker's ``config.json`` (see :mod:`credstore`) and travel to
the daemon in ``X-Registry-Auth``, as the docker CLI sends them.
"""

from __future__ import annotations

import sys

from pallet.cli.commands import credstore
from pallet.cli.errors import StatusError
from pallet.cli.flagerrors import UsageError
from pallet.cli.flags import argument, command, option
from pallet.cli.progress import show
from pallet.cli.session import api
from pallet.cli.terminal import is_tty
from pallet.cli.util import echo


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


def _default_tag(tag: str, all_tags: bool, quiet: bool) -> str:
    """``latest`` unless a tag or ``--all-tags`` was given (both: a usage error)."""
    if all_tags and tag:
        raise UsageError("tag can't be used with --all-tags/-a")
    if not tag and not all_tags:
        if not quiet:
            echo("Using default tag: latest")
        return "latest"
    return tag


@command()
@option("-a", "--all-tags", "all_tags", is_flag=True,
              help="Download all tagged images in the repository")
@option("--platform", default="", help="Set platform if server is multi-platform capable")
@option("-q", "--quiet", is_flag=True, help="Suppress verbose output")
@option("--disable-content-trust", is_flag=True, default=True, hidden=True)
@argument("image")
def pull(all_tags: bool, platform: str, quiet: bool, disable_content_trust: bool,
         image: str) -> None:
    """Download an image from a registry."""
    name, tag = _split(image)
    tag = _default_tag(tag, all_tags, quiet)
    resp = api().registry.pull(name, tag, platform=platform, all_tags=all_tags,
                               auth=credstore.header_for(name))
    show(resp.chunks(), _write, quiet=quiet, tty=is_tty(sys.stdout))
    if quiet:
        echo(f"{name}{'@' if tag.startswith('sha256:') else ':'}{tag}" if tag else name)


@command()
@option("-a", "--all-tags", "all_tags", is_flag=True,
              help="Push all tags of an image to the repository")
@option("-q", "--quiet", is_flag=True, help="Suppress verbose output")
@option("--disable-content-trust", is_flag=True, default=True, hidden=True)
@option("--compression", default=None,
        help="Compress layers stored uncompressed: gzip (default), zstd or none")
@option("--compression-level", "level", type=int, default=None,
        help="Compression level (gzip 1-9, zstd 1-22)")
@argument("name")
def push(all_tags: bool, quiet: bool, disable_content_trust: bool, compression: str | None,
         level: int | None, name: str) -> None:
    """Upload an image to a registry."""
    repo, tag = _split(name)
    if tag.startswith("sha256:"):
        raise StatusError(1, "pallet: cannot push a digest reference")
    tag = _default_tag(tag, all_tags, quiet)
    resp = api().registry.push(repo, tag, auth=credstore.header_for(repo),
                               compression=compression, level=level)
    aux = show(resp.chunks(), _write, quiet=quiet, tty=is_tty(sys.stdout))
    if quiet:
        for a in aux:
            if a.get("Tag"):
                echo(f"{repo}:{a['Tag']}")


def _ask(prompt: str, secret: bool = False) -> str:
    """Read one answer from the terminal (hidden for a password); EOF cancels."""
    try:
        if secret:
            import getpass

            return getpass.getpass(prompt)
        sys.stdout.write(prompt)
        sys.stdout.flush()
        line = sys.stdin.readline()
    except KeyboardInterrupt:
        raise StatusError(130) from None
    if not line:
        raise StatusError(1, "Error: Cannot perform an interactive login: no input")
    return line.rstrip("\r\n")


@command()
@option("-u", "--username", default="", help="Username")
@option("-p", "--password", default="", help="Password")
@option("--password-stdin", is_flag=True, help="Take the password from stdin")
@argument("server", required=False, default="")
def login(username: str, password: str, password_stdin: bool, server: str) -> None:
    """Log in to a registry (Docker Hub when SERVER is omitted)."""
    if password and password_stdin:
        raise UsageError("--password and --password-stdin are mutually exclusive")
    if password_stdin:
        if not username:
            raise UsageError("Must provide --username with --password-stdin")
        password = sys.stdin.read().rstrip("\r\n")
    elif password:
        echo("WARNING! Using --password via the CLI is insecure. Use --password-stdin.",
                   err=True)
    key = credstore.server_key(server)
    if not username:
        if not sys.stdin.isatty():
            raise StatusError(1, "Error: Cannot perform an interactive login from a non TTY"
                                 " device")
        username = _ask("Username: ").strip()
    if not password:
        if not sys.stdin.isatty():
            raise StatusError(1, "Error: Cannot perform an interactive login from a non TTY"
                                 " device")
        password = _ask("Password: ", secret=True)
    if not username or not password:
        raise StatusError(1, "Error: Username and password are required")
    answer = api().registry.login(username, password, key)
    path = credstore.store(key, username, password)
    if not credstore.load().get("credsStore"):
        echo(f"WARNING! Your password will be stored unencrypted in {path}.", err=True)
    echo(answer.Status or "Login Succeeded")


@command()
@argument("server", required=False, default="")
def logout(server: str) -> None:
    """Log out from a registry (Docker Hub when SERVER is omitted)."""
    key = credstore.server_key(server)
    if credstore.erase(key):
        echo(f"Removing login credentials for {key}")
    else:
        echo(f"Not logged in to {key}")



