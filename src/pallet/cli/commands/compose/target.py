"""What a ``pallet compose`` subcommand acts on: the engine (the same ``-H``/
``DOCKER_HOST`` as every pallet command), the project (loaded from its files, or, for
the commands Compose v2 allows it, only named by ``-p`` with no file), and where its
progress goes (in the mode ``--progress`` picks), and how a question is asked.
"""

from __future__ import annotations

import sys

from pallet.cli.commands.compose import context

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pallet.compose.engine import Engine
    from pallet.compose.model import Project
    from pallet.compose.progress import Progress


def engine() -> Engine:
    """The engine; with ``--dry-run`` one that reads it and changes nothing."""
    from pallet.cli.session import current
    from pallet.compose.engine import ClientEngine

    real = ClientEngine(current().transport)
    if context.flags().dry_run:
        from pallet.compose.dryrun import DryRunEngine

        return DryRunEngine(real)
    return real


def project() -> Project:
    return context.project()


def project_or_name() -> Project | str:
    """The loaded project; with ``-p NAME`` and no compose file, just the name."""
    from pallet.compose.errors import ComposeError

    flags = context.flags()
    try:
        return context.project()
    except ComposeError as err:
        if flags.project_name and "no configuration file" in str(err):
            from pallet.compose.labels import normalize_project_name

            return normalize_project_name(flags.project_name)
        raise


def name_of(target: Project | str) -> str:
    return target if isinstance(target, str) else target.name


def progress() -> Progress:
    from pallet.compose.progress import Progress

    flags = context.flags()
    return Progress(mode=context.progress_mode(), dry_run=flags.dry_run)


def dry_run() -> bool:
    return context.flags().dry_run


def parallel() -> int:
    return context.flags().parallel


def services_of(target: Project | str, services: tuple[str, ...]) -> list[str]:
    """The named services, checked against the project when there is one."""
    if isinstance(target, str):
        return list(services)
    from pallet.errors import NotFound

    for name in services:
        if name not in target.services:
            raise NotFound(f"no such service: {name}")
    return list(services)


def ask(question: str) -> bool:
    """Compose v2's yes/no prompt, "no" by default: on stdout; answered from a terminal,
    and "no" without one (the question is still shown, as Compose v2 shows it)."""
    if not sys.stdin.isatty():
        sys.stdout.write(question + " ")
        sys.stdout.flush()
        return False
    sys.stdout.write(f"{question} (y/N) ")
    sys.stdout.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")
