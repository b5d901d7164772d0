"""The click command tree, loaded lazily: each command lives in
``pallet.cli.commands.<area>`` and is imported only when it runs."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from pallet.cli.errors import StatusError, describe
from pallet.errors import PalletError

C = "pallet.cli.commands."
# name -> (module, attribute, short help)
TOP: dict[str, tuple[str, str, str]] = {
    "attach": (C + "io", "attach", "Attach local standard input, output, and error streams"),
    "build": (C + "build", "build", "Build an image from a Dockerfile"),
    "cp": (C + "cp", "cp", "Copy files/folders between a container and the local filesystem"),
    "create": (C + "run", "create", "Create a new container"),
    "events": (C + "system", "events", "Get real time events from the server"),
    "exec": (C + "io", "exec_", "Execute a command in a running container"),
    "history": (C + "images", "history", "Show the history of an image"),
    "images": (C + "images", "images", "List images"),
    "import": (C + "images", "import_", "Import the contents from a tarball to create an image"),
    "info": (C + "system", "info", "Display system-wide information"),
    "inspect": (C + "system", "inspect", "Return low-level information on objects"),
    "kill": (C + "containers", "kill", "Kill one or more running containers"),
    "load": (C + "images", "load", "Load an image from a tar archive or STDIN"),
    "logs": (C + "io", "logs", "Fetch the logs of a container"),
    "port": (C + "port", "port", "List port mappings or a specific mapping for the container"),
    "pause": (C + "containers", "pause", "Pause all processes within one or more containers"),
    "ps": (C + "containers", "ps", "List containers"),
    "login": (C + "registry", "login", "Log in to a registry"),
    "logout": (C + "registry", "logout", "Log out from a registry"),
    "pull": (C + "registry", "pull", "Download an image from a registry"),
    "push": (C + "registry", "push", "Upload an image to a registry"),
    "rename": (C + "containers", "rename", "Rename a container"),
    "restart": (C + "containers", "restart", "Restart one or more containers"),
    "rm": (C + "containers", "rm", "Remove one or more containers"),
    "rmi": (C + "images", "rmi", "Remove one or more images"),
    "run": (C + "run", "run", "Create and run a new container from an image"),
    "save": (C + "images", "save", "Save one or more images to a tar archive"),
    "stats": (C + "ops", "stats", "Display a live stream of container resource usage"),
    "start": (C + "containers", "start", "Start one or more stopped containers"),
    "stop": (C + "containers", "stop", "Stop one or more running containers"),
    "tag": (C + "images", "tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"),
    "top": (C + "containers", "top", "Display the running processes of a container"),
    "update": (C + "ops", "update", "Update configuration of one or more containers"),
    "unpause": (C + "containers", "unpause", "Unpause all processes within containers"),
    "version": (C + "system", "version", "Show the pallet version information"),
    "wait": (C + "containers", "wait", "Block until containers stop, then print exit codes"),
    "container": ("pallet.cli.app", "container", "Manage containers"),
    "image": ("pallet.cli.app", "image", "Manage images"),
    "network": ("pallet.cli.app", "network", "Manage networks"),
    "system": ("pallet.cli.app", "system", "Manage pallet"),
    "volume": ("pallet.cli.app", "volume", "Manage volumes"),
}
_CONTAINER_NAMES = (
    "attach cp create exec inspect kill logs pause rename restart rm run start stats stop top "
    "unpause update wait"
).split()
CONTAINER: dict[str, tuple[str, str, str]] = {n: TOP[n] for n in _CONTAINER_NAMES}
CONTAINER["inspect"] = (C + "system", "container_inspect", "Display detailed information")
CONTAINER["ls"] = TOP["ps"]
CONTAINER["list"] = TOP["ps"]
CONTAINER["ps"] = TOP["ps"]
CONTAINER["prune"] = (C + "containers", "prune", "Remove all stopped containers")
CONTAINER["remove"] = TOP["rm"]
IMAGE: dict[str, tuple[str, str, str]] = {
    "bootstrap": (C + "images", "bootstrap", "Build a base image locally (pallet)"),
    "build": TOP["build"],
    "history": TOP["history"],
    "import": TOP["import"],
    "inspect": (C + "system", "image_inspect", "Display detailed information on images"),
    "load": TOP["load"],
    "ls": TOP["images"],
    "list": TOP["images"],
    "prune": (C + "images", "prune", "Remove unused images"),
    "pull": TOP["pull"],
    "push": TOP["push"],
    "rm": TOP["rmi"],
    "remove": TOP["rmi"],
    "save": TOP["save"],
    "tag": TOP["tag"],
}

SYSTEM: dict[str, tuple[str, str, str]] = {
    "df": (C + "housekeeping", "df", "Show pallet disk usage"),
    "events": TOP["events"],
    "info": TOP["info"],
    "prune": (C + "housekeeping", "prune", "Remove unused data"),
}
NETWORK = {n: (C + "network", n, h) for n, h in (
    ("connect", "Connect a container to a network"), ("create", "Create a network"),
    ("disconnect", "Disconnect a container from a network"),
    ("inspect", "Display detailed information on one or more networks"),
    ("ls", "List networks"), ("prune", "Remove all unused networks"),
    ("rm", "Remove one or more networks"))}
VOLUME = {n: (C + "volume", n, h) for n, h in (
    ("create", "Create a volume"), ("inspect", "Display detailed information on volumes"),
    ("ls", "List volumes"), ("prune", "Remove unused local volumes"),
    ("rm", "Remove one or more volumes"))}
NETWORK["list"], NETWORK["remove"] = NETWORK["ls"], NETWORK["rm"]
VOLUME["list"], VOLUME["remove"] = VOLUME["ls"], VOLUME["rm"]


def _exit_code(err: BaseException, ctx_path: str) -> int:
    """Print ``err`` the docker way and return the exit code."""
    if isinstance(err, StatusError):
        if err.message:
            click.echo(err.message, err=True)
        return err.code
    if isinstance(err, click.exceptions.Exit):
        return err.exit_code
    if isinstance(err, click.UsageError):
        path = err.ctx.command_path if err.ctx else ctx_path
        click.echo(f"pallet: {err.format_message()}\nSee '{path} --help'.", err=True)
        return 125
    if isinstance(err, click.Abort):
        return 130
    if isinstance(err, click.ClickException):
        click.echo(f"pallet: {err.format_message()}", err=True)
        return err.exit_code
    if isinstance(err, PalletError):
        click.echo(describe(err), err=True)
        return 1
    if isinstance(err, KeyboardInterrupt):
        return 130
    if isinstance(err, BrokenPipeError):
        return 141
    if isinstance(err, OSError):  # ConnectionError included: the daemon went away mid-answer
        click.echo(f"pallet: lost the connection to palletd: {err}", err=True)
        return 125 if sys.argv[1:2] in (["run"], ["create"]) else 1
    raise err


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str, str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.lazy)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = self.lazy.get(cmd_name)
        if entry is None:
            return None
        module, attr, _ = entry
        cmd = getattr(importlib.import_module(module), attr)
        assert isinstance(cmd, click.Command)
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.lazy[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
        except (Exception, KeyboardInterrupt, click.exceptions.Exit, click.Abort) as err:
            code = _exit_code(err, prog_name or "pallet")
        try:
            sys.stdout.flush()
        except (BrokenPipeError, ValueError):
            pass
        if standalone_mode:
            sys.exit(code)
        return code


CONTEXT = {"help_option_names": ["--help"], "max_content_width": 100}


@click.group(cls=LazyGroup, lazy=TOP, context_settings=CONTEXT)
@click.option("-H", "--host", "host", metavar="URL", help="Daemon socket to connect to")
@click.option("--debug", "-D", is_flag=True, hidden=True)
@click.version_option("0.1.0", "-v", "--version", message="pallet version %(version)s")
@click.pass_context
def cli(ctx: click.Context, host: str | None, debug: bool) -> None:
    """A container engine that speaks the Docker Engine API."""
    from pallet.cli.session import Session

    ctx.obj = Session(host)


@cli.group(cls=LazyGroup, lazy=CONTAINER, context_settings=CONTEXT)
def container() -> None:
    """Manage containers."""


@cli.group(cls=LazyGroup, lazy=IMAGE, context_settings=CONTEXT)
def image() -> None:
    """Manage images."""


@cli.group(cls=LazyGroup, lazy=NETWORK, context_settings=CONTEXT)
def network() -> None:
    """Manage networks."""


@cli.group(cls=LazyGroup, lazy=SYSTEM, context_settings=CONTEXT)
def system() -> None:
    """Manage pallet."""


@cli.group(cls=LazyGroup, lazy=VOLUME, context_settings=CONTEXT)
def volume() -> None:
    """Manage volumes."""
