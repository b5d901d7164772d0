"""``pallet compose``: Compose v2's command line on pallet's own flag parser.

The group holds Compose v2's global flags (``-f``, ``-p``, ``--project-directory``,
``--profile``, ``--env-file``, ``--ansi``, ``--progress``, ...); its callback keeps them in
:mod:`pallet.cli.commands.compose.context`, where every subcommand gets the
:class:`~pallet.compose.options.ProjectOptions` and the loaded project
(``context.project()``).

To add a subcommand: write it in a module of this package, one module per command family
(``lifecycle.py`` for up/down, ``inspect.py`` for ps/logs, ...), declared with
:func:`pallet.cli.flags.command` like any other command, then add one line to ``COMMANDS``
below: ``"name": (P + "module", "function", "short help")``. Modules are imported only when
their command runs.
"""

from __future__ import annotations

from pallet.cli.flagparse import Flag
from pallet.cli.flags import Group, Table

P = "pallet.cli.commands.compose."
# name -> (module, attribute, short help), imported on first use
COMMANDS: Table = {
    "config": (P + "config", "config", "Parse, resolve and render compose file in "
               "canonical format"),
    "version": (P + "config", "version", "Show the Docker Compose version information"),
    "up": (P + "lifecycle", "up", "Create and start containers"),
    "down": (P + "lifecycle", "down", "Stop and remove containers, networks"),
    "create": (P + "lifecycle", "create", "Creates containers for a service"),
    "logs": (P + "logs", "logs", "View output from containers"),
    "start": (P + "ops", "start", "Start services"),
    "stop": (P + "ops", "stop", "Stop services"),
    "restart": (P + "ops", "restart", "Restart service containers"),
    "rm": (P + "ops", "rm", "Removes stopped service containers"),
    "kill": (P + "ops", "kill", "Force stop service containers"),
    "pause": (P + "ops", "pause", "Pause services"),
    "unpause": (P + "ops", "unpause", "Unpause services"),
    "wait": (P + "ops", "wait", "Block until containers of all (or specified) services stop."),
    "ps": (P + "listing", "ps", "List containers"),
    "ls": (P + "listing", "ls", "List running compose projects"),
    "images": (P + "listing", "images", "List images used by the created containers"),
    "top": (P + "listing", "top", "Display the running processes"),
    "port": (P + "listing", "port", "Print the public port for a port binding"),
    "exec": (P + "interactive", "exec_", "Execute a command in a running container"),
    "run": (P + "interactive", "run", "Run a one-off command on a service"),
    "build": (P + "imagecmds", "build", "Build or rebuild services"),
    "pull": (P + "imagecmds", "pull", "Pull service images"),
    "push": (P + "imagecmds", "push", "Push service images"),
    "events": (P + "imagecmds", "events", "Receive real time events from containers"),
}


def _store(**values: object) -> None:
    from pallet.cli.commands.compose import context

    context.configure(values)


compose = Group(
    "compose",
    "Define and run multi-container applications with Docker",
    COMMANDS,
    flags=[
        Flag(("-f", "--file", "files"), multiple=True, help="Compose configuration files"),
        Flag(("-p", "--project-name", "project_name"), default="", help="Project name"),
        Flag(("--project-directory", "project_directory"), default="",
             help="Specify an alternate working directory (default: the path of the, first "
                  "specified, Compose file)"),
        Flag(("--profile", "profiles"), multiple=True, help="Specify a profile to enable"),
        Flag(("--env-file", "env_files"), multiple=True,
             help="Specify an alternate environment file"),
        Flag(("--ansi",), default="auto",
             help='Control when to print ANSI control characters ("never"|"always"|"auto")'),
        Flag(("--progress",), default="",
             help='Set type of progress output (auto, tty, plain, json, quiet)'),
        Flag(("--parallel",), type=int, default=-1, help="Control max parallelism, -1 for "
             "unlimited"),
        Flag(("--compatibility",), is_flag=True,
             help="Run compose in backward compatibility mode"),
        Flag(("--dry-run",), is_flag=True, help="Execute command in dry run mode"),
        Flag(("--all-resources",), is_flag=True,
             help="Include all resources, even those not used by services"),
    ],
    callback=_store,
    flag_error_code=1,  # Compose v2's: a flag error is its message alone, exit 1
)
