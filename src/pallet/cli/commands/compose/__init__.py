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
)
