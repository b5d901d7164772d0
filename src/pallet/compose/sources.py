"""Where a project comes from: its files, directory, environment, name and profiles.

Compose v2's rules: ``-f`` files (relative to the current directory; ``-`` is stdin), else
``COMPOSE_FILE`` (split on ``COMPOSE_PATH_SEPARATOR``, ``:`` by default), else the first of
``compose.yaml``, ``compose.yml``, ``docker-compose.yml``, ``docker-compose.yaml`` found in
the current directory or its nearest parent, with that directory's first
``compose.override.yml``/``.yaml``/``docker-compose.override.yml``/``.yaml`` after it. The
project directory is ``--project-directory``, else the first file's directory. The
environment is the shell's over the ``--env-file`` files, else ``COMPOSE_ENV_FILES``, else
the ``.env`` of the project directory as known before the lookup (``--project-directory``,
the first ``-f`` file's directory, or the current directory) and then of the found files'
directory; ``COMPOSE_FILE``, ``COMPOSE_PROJECT_NAME`` and ``COMPOSE_PROFILES`` may come
from it. The name is ``-p``, else ``COMPOSE_PROJECT_NAME``, else the files' ``name:``,
else the project directory's base name, lower-cased with only ``[a-z0-9_-]`` kept.
"""

from __future__ import annotations

import os
import re

from pallet.compose import reads
from pallet.compose.errors import ComposeError
from pallet.compose.options import ProjectOptions

FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_NAMES = ("compose.override.yml", "compose.override.yaml",
                  "docker-compose.override.yml", "docker-compose.override.yaml")
_VALID_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class Located:
    """What a load starts from, found before any compose file is read: the process
    environment, the current directory, the project environment (shell over ``.env``),
    the compose files (absolute) and the project directory."""

    def __init__(self, environ: dict[str, str], cwd: str, env: dict[str, str],
                 files: list[str], project_dir: str) -> None:
        self.environ = environ
        self.cwd = cwd
        self.env = env
        self.files = files
        self.project_dir = project_dir


def locate(options: ProjectOptions) -> Located:
    """The environment, files and directory ``options`` select, by Compose v2's rules."""
    environ = dict(os.environ if options.environ is None else options.environ)
    cwd = options.cwd or os.getcwd()
    env_dir = project_directory(options, list(options.files), cwd)
    env = environment(options, environ, cwd, env_dir)
    files = config_files(options, env, cwd)
    project_dir = project_directory(options, files, cwd)
    if project_dir != env_dir:
        env = with_project_dotenv(options, env, environ, project_dir)
    return Located(environ, cwd, env, files, project_dir)


def config_files(options: ProjectOptions, environ: dict[str, str], cwd: str) -> list[str]:
    """The compose files to load, absolute (``-`` stays ``-``)."""
    given = list(options.files)
    if not given and environ.get("COMPOSE_FILE"):
        sep = environ.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
        given = [f for f in environ["COMPOSE_FILE"].split(sep) if f]
    if given:
        return [f if f == "-" else os.path.normpath(os.path.join(cwd, f)) for f in given]
    start = os.path.join(cwd, options.project_directory) if options.project_directory else cwd
    directory = os.path.abspath(start)
    while True:
        found = _first(directory, FILE_NAMES)
        if found:
            override = _first(directory, OVERRIDE_NAMES)
            return [found, override] if override else [found]
        parent = os.path.dirname(directory)
        if parent == directory:
            raise ComposeError("no configuration file provided: not found")
        directory = parent


def _first(directory: str, names: tuple[str, ...]) -> str:
    for name in names:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return ""


def project_directory(options: ProjectOptions, files: list[str], cwd: str) -> str:
    if options.project_directory:
        return os.path.abspath(os.path.join(cwd, options.project_directory))
    if files and files[0] != "-":
        return os.path.dirname(files[0])
    return cwd


def given_env_files(options: ProjectOptions, environ: dict[str, str], cwd: str) -> list[str]:
    """``--env-file`` files, else ``COMPOSE_ENV_FILES`` ones (comma-separated), absolute."""
    names = list(options.env_files)
    if not names and environ.get("COMPOSE_ENV_FILES"):
        names = [n for n in environ["COMPOSE_ENV_FILES"].split(",") if n]
    return [os.path.normpath(os.path.join(cwd, n)) for n in names]


def environment(options: ProjectOptions, environ: dict[str, str], cwd: str,
                env_dir: str) -> dict[str, str]:
    """The project environment: the shell's variables over the env files' (``--env-file``,
    else ``COMPOSE_ENV_FILES``, else ``env_dir``'s ``.env``)."""
    env_files = given_env_files(options, environ, cwd)
    if not env_files and _dotenv_enabled(environ):
        default = os.path.join(env_dir, ".env")
        if os.path.isfile(default):
            env_files = [default]
    return env_from_files(env_files, environ)


def _dotenv_enabled(environ: dict[str, str]) -> bool:
    return environ.get("COMPOSE_DISABLE_ENV_FILE", "").lower() not in ("1", "true")


def with_project_dotenv(options: ProjectOptions, env: dict[str, str], environ: dict[str, str],
                        project_dir: str) -> dict[str, str]:
    """``env`` plus what the project directory's ``.env`` sets that it does not (the files
    were found above the current directory, whose ``.env`` was read first)."""
    default = os.path.join(project_dir, ".env")
    if (options.env_files or environ.get("COMPOSE_ENV_FILES") or not _dotenv_enabled(environ)
            or not os.path.isfile(default)):
        return env
    return {**env_from_files([default], env), **env}


def env_from_files(paths: list[str], environ: dict[str, str]) -> dict[str, str]:
    """Each file read in turn (seeing the shell and the files before it); shell wins."""
    values: dict[str, str] = {}
    for path in paths:
        if not reads.exists(path):
            raise ComposeError(f"couldn't find env file: {path}")
        from pallet.compose.dotenv import read_env  # imported only when there is a file

        def lookup(key: str) -> str | None:
            return environ.get(key, values.get(key))

        values.update(read_env(path, lookup))
    return {**values, **environ}


def normalize_name(name: str) -> str:
    """Compose v2's project-name normalisation."""
    return re.sub(r"[^a-z0-9_-]", "", name.lower()).lstrip("_-")


def project_name(options: ProjectOptions, env: dict[str, str], from_files: str,
                 project_dir: str) -> str:
    """The project's name by Compose v2's precedence (an explicit name must be valid)."""
    explicit = options.project_name or env.get("COMPOSE_PROJECT_NAME", "")
    if explicit:
        if not _VALID_NAME.match(explicit):
            raise ComposeError(
                f'invalid project name "{explicit}": must consist only of lowercase '
                "alphanumeric characters, hyphens, and underscores as well as start with a "
                "letter or number")
        return explicit
    name = normalize_name(from_files) or normalize_name(os.path.basename(project_dir))
    if not name:
        raise ComposeError("project name must not be empty")
    return name


def active_profiles(options: ProjectOptions, env: dict[str, str]) -> list[str]:
    if options.profiles:
        return [p for p in options.profiles if p]
    return [p.strip() for p in env.get("COMPOSE_PROFILES", "").split(",") if p.strip()]
