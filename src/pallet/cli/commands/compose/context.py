"""The ``pallet compose`` invocation's global flags and the project they select.

The group's callback calls :func:`configure` with its flag values; subcommands call
:func:`options` (what to load) or :func:`project` (loaded once, then shared by the
invocation). A compose error leaves as :class:`~pallet.compose.errors.ComposeError`, which
the CLI prints and turns into exit code 1, as Compose v2 does.
"""

from __future__ import annotations

import msgspec

from pallet.compose.options import ProjectOptions

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pallet.compose.model import Project


class GlobalFlags(msgspec.Struct):
    """The group's flags as given (defaults when the group did not run, as in tests)."""

    files: tuple[str, ...] = ()
    project_name: str = ""
    project_directory: str = ""
    profiles: tuple[str, ...] = ()
    env_files: tuple[str, ...] = ()
    ansi: str = "auto"
    progress: str = ""
    parallel: int = -1
    compatibility: bool = False
    dry_run: bool = False
    all_resources: bool = False


_flags = GlobalFlags()
_project: Project | None = None


def configure(values: dict[str, object]) -> None:
    """Keep this invocation's global flags (the group's callback); a ``--progress``
    Compose v2 refuses is refused here, before any command runs."""
    global _flags, _project
    _flags = msgspec.convert(values, GlobalFlags)
    _project = None
    import os

    from pallet.cli.errors import set_error_format

    # with --progress json, failures too are JSON objects, as Compose v2 writes them; with
    # no mode given there is nothing to refuse and no JSON (nor pallet.compose.progress
    # to load for commands that print no progress)
    given = _flags.progress or os.environ.get("COMPOSE_PROGRESS", "")
    set_error_format(_json_error if given and progress_mode() == "json" else None)


def _json_error(message: str) -> str:
    import json

    return json.dumps({"error": True, "message": message}, separators=(",", ":"))


def progress_mode() -> str:
    """The progress output mode: ``--progress``, else ``COMPOSE_PROGRESS``, against
    ``--ansi`` (:func:`pallet.compose.progress.mode_of`)."""
    import os

    from pallet.compose.progress import mode_of

    return mode_of(_flags.progress or os.environ.get("COMPOSE_PROGRESS", ""), _flags.ansi)


def flags() -> GlobalFlags:
    return _flags


def options(*, interpolate: bool = True, services: tuple[str, ...] = ()) -> ProjectOptions:
    """The loader's inputs from the global flags (and the services a command names)."""
    return ProjectOptions(
        services=services,
        files=_flags.files, project_name=_flags.project_name,
        project_directory=_flags.project_directory, profiles=_flags.profiles,
        env_files=_flags.env_files, interpolate=interpolate,
        all_resources=_flags.all_resources,
    )


def project(services: tuple[str, ...] = ()) -> Project:
    """The project the global flags select, loaded on first use; ``services`` (named on the
    command line) are enabled even when their profile is not active, as in Compose v2."""
    global _project
    if _project is None or (services and not set(services) <= set(_project.services)):
        from pallet.compose.projectcache import load

        first = _project is None
        _project = load(options(services=services))
        if first:
            warn(_project.warnings)
    return _project


def warn(warnings: list[str]) -> None:
    """Print the loader's warnings on stderr as Compose v2 does."""
    if not warnings:
        return  # (nor load pallet.compose.logline and the json it imports)
    import sys

    from pallet.compose.logline import warning

    for text in warnings:
        sys.stderr.write(warning(text, sys.stderr) + "\n")
    sys.stderr.flush()
