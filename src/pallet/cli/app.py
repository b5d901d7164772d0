"""The command tree, loaded lazily: each command lives in
``pallet.cli.commands.<area>`` and is imported only when it runs; ``main`` turns
every failure into docker's message and exit code."""

from __future__ import annotations

import sys

from pallet.cli.flagerrors import Exit, UsageError
from pallet.cli.flagparse import Flag
from pallet.cli.flags import Group, Table

C = "pallet.cli.commands."
# name -> (module, attribute, short help)
TOP: Table = {
    "attach": (C + "io", "attach", "Attach local standard input, output, and error streams"),
    "build": (C + "build", "build", "Build an image from a Dockerfile"),
    "commit": (C + "commit", "commit", "Create a new image from a container's changes"),
    "compose": (C + "compose", "compose", "Docker Compose"),
    "cp": (C + "cp", "cp", "Copy files/folders between a container and the local filesystem"),
    "create": (C + "run", "create", "Create a new container"),
    "diff": (C + "commit", "diff", "Inspect changes to files or directories on a container"),
    "events": (C + "system", "events", "Get real time events from the server"),
    "exec": (C + "io", "exec_", "Execute a command in a running container"),
    "export": (C + "commit", "export", "Export a container's filesystem as a tar archive"),
    "history": (C + "images", "history", "Show the history of an image"),
    "images": (C + "images", "images", "List images"),
    "import": (C + "images", "import_", "Import the contents from a tarball to create an image"),
    "info": (C + "system", "info", "Display system-wide information"),
    "inspect": (C + "system", "inspect", "Return low-level information on objects"),
    "check": (C + "check", "check", "Grade an image, container or Compose project against "
              "the production readiness checklist"),
    "lint": (C + "lint", "lint", "Lint Dockerfiles and compose files"),
    "kube": (C + "kube", "kube", "Move containers and Compose projects to Kubernetes"),
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
    "scan": (C + "scan", "scan", "Scan an image for vulnerabilities, or list its packages"),
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
    "metrics": ("pallet.cli.app", "metrics", "Prometheus rules and Grafana dashboard"),
    "network": ("pallet.cli.app", "network", "Manage networks"),
    "system": ("pallet.cli.app", "system", "Manage pallet"),
    "volume": ("pallet.cli.app", "volume", "Manage volumes"),
}
_CONTAINER_NAMES = (
    "attach commit cp create diff exec export inspect kill logs pause rename restart rm run "
    "start stats stop top unpause update wait"
).split()
CONTAINER: Table = {n: TOP[n] for n in _CONTAINER_NAMES}
CONTAINER["inspect"] = (C + "system", "container_inspect", "Display detailed information")
CONTAINER["ls"] = TOP["ps"]
CONTAINER["list"] = TOP["ps"]
CONTAINER["ps"] = TOP["ps"]
CONTAINER["prune"] = (C + "containers", "prune", "Remove all stopped containers")
CONTAINER["remove"] = TOP["rm"]
IMAGE: Table = {
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
    "scan": TOP["scan"],
    "tag": TOP["tag"],
}

SYSTEM: Table = {
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
METRICS: Table = {
    "dashboard": (C + "metrics", "dashboard", "Print a Grafana dashboard over palletd's metrics"),
    "rules": (C + "metrics", "rules", "Print Prometheus alerting rules for the guide's alerts"),
}
NETWORK["list"], NETWORK["remove"] = NETWORK["ls"], NETWORK["rm"]
VOLUME["list"], VOLUME["remove"] = VOLUME["ls"], VOLUME["rm"]


def _exit_code(err: BaseException) -> int:
    """Print ``err`` the docker way and return the exit code."""
    from pallet.cli.errors import StatusError, describe, error_line
    from pallet.errors import PalletError

    if isinstance(err, Exit):
        return err.code
    if isinstance(err, StatusError):
        if err.message:
            _err(error_line(err.message))
        return err.code
    if isinstance(err, UsageError):
        _err(err.render())
        return err.code
    if isinstance(err, PalletError):
        _err(error_line(describe(err)))
        return 1
    if isinstance(err, KeyboardInterrupt):
        return 130
    if isinstance(err, BrokenPipeError):
        return 141
    if isinstance(err, OSError):  # ConnectionError included: the daemon went away mid-answer
        _err(f"pallet: lost the connection to palletd: {err}")
        return 125 if sys.argv[1:2] in (["run"], ["create"]) else 1
    raise err


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _root(host: str | None, debug: bool, version: bool) -> None:
    if version:
        from pallet import __version__

        sys.stdout.write(f"pallet version {__version__}\n")
        raise Exit(0)
    from pallet.cli import session

    session.configure(host)


cli = Group(
    "pallet",
    "A container engine that speaks the Docker Engine API",
    TOP,
    flags=[
        Flag(("-H", "--host", "host"), metavar="URL", help="Daemon socket to connect to"),
        Flag(("-D", "--debug"), is_flag=True, hidden=True),
        Flag(("-v", "--version"), is_flag=True, help="Print version information and quit"),
    ],
    callback=_root,
)
container = Group("container", "Manage containers", CONTAINER)
image = Group("image", "Manage images", IMAGE)
network = Group("network", "Manage networks", NETWORK)
system = Group("system", "Manage pallet", SYSTEM)
volume = Group("volume", "Manage volumes", VOLUME)
metrics = Group("metrics", "Prometheus rules and Grafana dashboard", METRICS)


def main(args: list[str], prog: str = "pallet") -> int:
    """Run one command line; returns the exit code (output already written)."""
    try:
        rv = cli.invoke(args, prog)
        code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
    except (Exception, KeyboardInterrupt) as err:
        code = _exit_code(err)
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        pass
    return code
