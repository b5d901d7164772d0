"""What selects and shapes a compose project before any file is read: Compose v2's global
flags (``-f``, ``-p``, ``--project-directory``, ``--profile``, ``--env-file``) and the
process environment they fall back on (``COMPOSE_FILE``, ``COMPOSE_PROJECT_NAME``,
``COMPOSE_PROFILES``, ...). The CLI builds one; :func:`pallet.compose.loader.load` takes it.
"""

from __future__ import annotations

import msgspec


class ProjectOptions(msgspec.Struct, frozen=True):
    """The inputs of one load; empty values mean "not given" (the loader applies defaults)."""

    files: tuple[str, ...] = ()
    project_name: str = ""
    project_directory: str = ""
    profiles: tuple[str, ...] = ()
    env_files: tuple[str, ...] = ()
    interpolate: bool = True
    # services named on the command line: their profiles are enabled too (Compose v2 runs
    # ``up tool`` for a service in an inactive profile)
    services: tuple[str, ...] = ()
    # keep networks, volumes, secrets and configs no enabled service uses (--all-resources)
    all_resources: bool = False
    # the process environment (``os.environ`` unless a test gives its own)
    environ: dict[str, str] | None = None
    # the directory lookups start from (``os.getcwd()`` unless given)
    cwd: str = ""
