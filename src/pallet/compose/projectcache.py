"""Loaded projects kept between commands: a ``pallet compose`` command whose project
files, variables and options are as the last load saw them takes that load's model from
the cache and reads no YAML, validates nothing and imports neither PyYAML nor jsonschema.

An entry is named by a digest (BLAKE2b) of what selects the project before any file is read: the
options (files, name, directory, profiles, env files, services named, ...), the current
directory, ``HOME``, the compose files and project directory found, pallet's version and
its loader's code (the path, mtime and size of every file of ``pallet.compose`` and
``pallet.notation``, so that a changed or another checkout of pallet never uses it). The
entry holds what the load looked at (:mod:`pallet.compose.reads`): a digest of every file
it read (compose, ``include``/``extends``, ``.env``, ``env_file``, ``label_file`` files)
and each path it checked, a digest of the value of every variable it looked up (or that it
was unset), and a digest of the whole environment when the load saw it all (an
``include`` with env files). A load is a function of those, so when each is the same
again the kept model is the load's result. Only successful loads are kept.

What the file holds: digests, variable names, and the model as ``config`` prints it
(values from the user's files, interpolated with the user's variables; secrets and
configs by their *paths*, never their contents). The project environment (the shell's
variables over ``.env``) is not kept: it is taken afresh on every command. The file is
the user's own (mode 0600 in a 0700 directory, :mod:`pallet.compose.loadcache`).
"""

from __future__ import annotations

import os

import msgspec

import pallet
from pallet.compose import loadcache, reads, sources
from pallet.compose.model import Project
from pallet.compose.options import ProjectOptions

FORMAT = "pallet compose project 2"
_NAME = "COMPOSE_PROJECT_NAME"  # the one variable a load sets (to the project's name)


class Entry(msgspec.Struct, array_like=True):
    """One kept load: what it looked at, and its model (without the environment)."""

    texts: dict[str, str]  # path -> digest of the text read ("" when it was unreadable)
    checks: dict[str, bool]  # "isfile:PATH" / "exists:PATH" -> the answer
    variables: dict[str, str | None]  # name -> digest of the value (None: unset)
    every: str  # digest of the whole environment when the load saw it all, else ""
    project: msgspec.Raw


def load(options: ProjectOptions) -> Project:
    """:func:`pallet.compose.loader.load` of ``options``, from the cache when nothing it
    depends on changed (and kept there when it did)."""
    where = sources.locate(options)
    if "-" in where.files:  # stdin is read once and never kept
        from pallet.compose.loader import load as load_files

        return load_files(options, where)
    name = _key(options, where)
    project = _kept(name, where)
    if project is not None:
        env = dict(where.env)
        env[_NAME] = project.name
        project.environment = env
        project.env_files = sources.given_env_files(options, where.environ, where.cwd)
        return project
    return _load_and_keep(name, options, where)


def _load_and_keep(name: str, options: ProjectOptions, where: sources.Located) -> Project:
    from pallet.compose.loader import load as load_files

    env = reads.Watched(where.env)
    watched = sources.Located(where.environ, where.cwd, env, where.files, where.project_dir)
    with reads.noting() as notes:
        project = load_files(options, watched)
    looked, whole = dict(env.looked), env.whole
    project.environment = env.plain()
    if notes.once:
        return project  # it read a pipe or device: that text cannot be checked again
    if project.environment != {**where.env, _NAME: project.name}:
        return project  # the load changed the environment otherwise: not kept
    kept = msgspec.structs.replace(project, environment={})
    try:
        data = msgspec.msgpack.encode(kept)
        if msgspec.msgpack.decode(data, type=Project) != kept:
            return project  # a value msgpack does not give back as it was
    except (msgspec.MsgspecError, OverflowError, TypeError, ValueError):
        return project  # a value msgpack cannot hold
    entry = Entry(notes.texts, notes.checks,
                  {k: None if v is None else reads.digest(v) for k, v in looked.items()},
                  _every(where.env) if whole else "", msgspec.Raw(data))
    loadcache.write(loadcache.PROJECTS, name, msgspec.msgpack.encode(entry))
    return project


def _kept(name: str, where: sources.Located) -> Project | None:
    """The kept model named ``name``, if what its load looked at is unchanged (a file that
    cannot be decoded counts as no entry: the load that follows writes it again)."""
    data = loadcache.read(loadcache.PROJECTS, name)
    if data is None:
        return None
    try:
        entry = msgspec.msgpack.decode(data, type=Entry)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    env = where.env
    for var, noted in entry.variables.items():
        value = env.get(var)
        if (None if value is None else reads.digest(value)) != noted:
            return None
    if entry.every and entry.every != _every(env):
        return None
    if not reads.same(entry.texts, entry.checks):
        return None
    try:
        return msgspec.msgpack.decode(entry.project, type=Project)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def _every(env: dict[str, str]) -> str:
    # "NAME=value" lines joined by NUL, which neither holds; reads.digest takes the
    # surrogates a variable with non-UTF-8 bytes decodes to (JSON would refuse them)
    return reads.digest("\0".join(f"{k}={v}" for k, v in sorted(env.items())))


def _key(options: ProjectOptions, where: sources.Located) -> str:
    """The entry name: what shapes a load before it reads a file, and the loader's code."""
    selected = msgspec.structs.replace(options, environ=None, cwd="")
    # repr, not JSON: a path or HOME with non-UTF-8 bytes holds surrogates JSON refuses
    parts = repr([FORMAT, pallet.__version__, _code(), selected, where.cwd,
                  where.environ.get("HOME", "/"), where.files, where.project_dir])
    return reads.digest(parts)


def _code() -> list[str]:
    """The loader's code as files: path, mtime and size of each (another checkout, an
    upgrade or an edit gives other entries)."""
    here = os.path.dirname(os.path.abspath(__file__))
    stamp: list[str] = []
    for folder in (here, os.path.join(os.path.dirname(here), "notation")):
        with os.scandir(folder) as found:
            for item in found:
                if item.name.endswith((".py", ".json")):
                    st = item.stat()
                    stamp.append(f"{item.path}:{st.st_mtime_ns}:{st.st_size}")
    return sorted(stamp)
