"""Compose files -> :class:`~pallet.compose.model.Project`, as Compose v2 loads them.

:func:`load` picks the files, directory, environment and name (:mod:`.sources`); then each
file, document by document, is parsed with line marks (:mod:`.yamlsrc`), interpolated
(:mod:`.interpolate`), validated against the compose-spec schema (:mod:`.schema`), put in
canonical form (:mod:`.canonical`), given its ``include`` s and ``extends`` and merged onto
the files before it (:mod:`.merge`). Profiles then split enabled services from disabled
ones, and :mod:`.normalize` builds and checks the model. Every failure is a
:class:`~pallet.compose.errors.ComposeError` naming ``file:line`` where it has one.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from pallet.compose import reads, sources
from pallet.compose.canonical import Canonicaliser, drop_repeats
from pallet.compose.errors import ComposeError
from pallet.compose.interpolate import interpolate
from pallet.compose.merge import enforce_unicity, merge
from pallet.compose.model import Project
from pallet.compose.normalize import check, drop_unused, to_project
from pallet.compose.options import ProjectOptions
from pallet.compose.schema import validate
from pallet.compose.yamlsrc import Marks, parse, strip


class Loaded:
    """The merged canonical document and what it was made from (before the model)."""

    def __init__(self, doc: dict[str, Any], name: str, env: dict[str, str],
                 project_dir: str, files: list[str], profiles: list[str],
                 marks: Marks, warnings: list[str]) -> None:
        self.warnings = warnings  # Compose v2's warnings, for the CLI to print
        self.env_files: list[str] = []  # --env-file / COMPOSE_ENV_FILES, absolute
        self.doc = doc
        self.name = name
        self.env = env
        self.project_dir = project_dir
        self.files = files
        self.profiles = profiles
        self.marks = marks


def load(options: ProjectOptions, where: sources.Located | None = None) -> Project:
    """Load, normalise and check the project ``options`` select (``where``: its files,
    directory and environment when already found)."""
    loaded = load_document(options, where)
    doc = loaded.doc
    services = doc.get("services") or {}
    active = set(loaded.profiles)
    for name in options.services:  # a service named on the command line enables its profiles
        svc = services.get(name)
        if isinstance(svc, dict) and not _enabled(svc, active):
            active |= set(svc.get("profiles") or [])
    enabled = {n: s for n, s in services.items() if _enabled(s, active)}
    disabled = {n: s for n, s in services.items() if n not in enabled}
    doc["services"] = enabled
    project = to_project(doc, loaded.name, loaded.env, loaded.marks)
    if disabled:
        off = to_project({"services": disabled}, loaded.name, loaded.env, loaded.marks,
                         checks=False)
        project.disabled = off.services
    check(project, loaded.marks)
    if not options.all_resources:
        drop_unused(project)
    project.working_dir = loaded.project_dir
    project.compose_files = loaded.files
    project.environment = loaded.env
    project.profiles = sorted(active)
    project.warnings = loaded.warnings
    project.env_files = loaded.env_files
    return project


def _enabled(svc: dict[str, Any], active: set[str]) -> bool:
    profiles = svc.get("profiles") or []
    return not profiles or "*" in active or bool(active & set(profiles))


def load_document(options: ProjectOptions, where: sources.Located | None = None) -> Loaded:
    """The merged canonical document (``config --no-interpolate`` prints this)."""
    where = where or sources.locate(options)
    environ, cwd, env = where.environ, where.cwd, where.env
    files, project_dir = where.files, where.project_dir
    reader = _Reader(env, options.interpolate, environ.get("HOME", "/"), cwd)
    raw = [(f, *reader.parse_file(f)) for f in files]
    name = sources.project_name(options, env, reader.name_in(raw), project_dir)
    env["COMPOSE_PROJECT_NAME"] = name
    doc: dict[str, Any] = {}
    for path, docs, file_marks in raw:
        with reader.reading(file_marks):
            for one in docs:
                doc = merge(doc, reader.process(one, path, project_dir, env, [path]))
    doc.pop("include", None)
    doc.pop("version", None)
    if not doc.get("services") and not any(doc.get(k) for k in ("networks", "volumes")):
        raise ComposeError("empty compose file" if not doc else "no service defined",
                           reader.display(files[0]))
    profiles = sources.active_profiles(options, env)
    warnings = [f'The "{v}" variable is not set. Defaulting to a blank string.'
                for v in dict.fromkeys(reader.missing)] + reader.warnings
    loaded = Loaded(doc, name, env, project_dir, files, profiles, reader.all_marks, warnings)
    loaded.env_files = sources.given_env_files(options, environ, cwd)
    return loaded


class _Reader:
    """Reads, interpolates, validates and canonicalises files; applies include/extends."""

    def __init__(self, env: dict[str, str], interpolate: bool, home: str, cwd: str) -> None:
        self.all_marks = Marks()  # every file's, a later file's over an earlier one's
        self.marks = self.all_marks  # the file being read (errors name its lines)
        self.cwd = cwd
        self.missing: list[str] = []  # variables used but not set
        self.warnings: list[str] = []
        self.env = env
        self.interpolate = interpolate
        self.home = home

    @contextlib.contextmanager
    def reading(self, marks: Marks) -> Iterator[None]:
        """Errors name lines of the file ``marks`` came from; its marks then join the rest."""
        outer, self.marks = self.marks, marks
        try:
            yield
        finally:
            self.marks = outer
        self.all_marks.add(marks)

    def parse_file(self, path: str) -> tuple[list[Any], Marks]:
        name = self.display(path)
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                text = reads.read_text(path)
        except OSError as err:
            raise ComposeError(f"open {path}: {(err.strerror or str(err)).lower()}") from None
        except UnicodeDecodeError:
            raise ComposeError("file is not valid UTF-8", name) from None
        marks = Marks()
        docs = [d for d in parse(text, name, marks) if d is not None]
        for d in docs:
            if not isinstance(d, dict):
                raise ComposeError("top-level object must be a mapping", name)
        return docs, marks

    def display(self, path: str) -> str:
        """``path`` as errors show it: relative to the current directory when below it."""
        if path == "-":
            return "stdin"
        name = os.path.relpath(path, self.cwd)
        return path if name.startswith("..") else name

    def name_in(self, raw: list[tuple[str, list[Any], Marks]]) -> str:
        found, marks = "", self.marks
        for _path, docs, file_marks in raw:
            for d in docs:
                value = strip(d.get("name"))
                if isinstance(value, str) and value:
                    found, marks = value, file_marks
        if found and self.interpolate:
            found = str(interpolate(found, self.env.get, marks, ("name",), self.missing))
        return found

    def process(self, doc: dict[str, Any], path: str, base: str, env: dict[str, str],
                stack: list[str]) -> dict[str, Any]:
        """One document: interpolated, validated, canonical, with includes and extends."""
        if self.interpolate:
            doc = interpolate(doc, env.get, self.marks, (), self.missing)
        validate(drop_repeats(doc), self.marks)
        if doc.pop("version", None) is not None:
            self.warnings.append(f"{path}: the attribute `version` is obsolete, it will be "
                                 "ignored, please remove it to avoid potential confusion")
        doc = enforce_unicity(
            Canonicaliser(base, self.home, self.marks, not self.interpolate).document(doc))
        self._include(doc, base, env, stack)
        self._extends(doc, path, base, env)
        return doc

    def _include(self, doc: dict[str, Any], base: str, env: dict[str, str],
                 stack: list[str]) -> None:
        for i, item in enumerate(strip(doc.pop("include", None)) or []):
            entry = {"path": item} if isinstance(item, str) else item
            paths = entry["path"] if isinstance(entry["path"], list) else [entry["path"]]
            paths = [os.path.normpath(os.path.join(base, p)) for p in paths]
            sub_dir = os.path.normpath(os.path.join(base, entry.get("project_directory")
                                                    or os.path.dirname(paths[0])))
            env_files = entry.get("env_file") or []
            env_files = [env_files] if isinstance(env_files, str) else env_files
            env_paths = [os.path.join(base, e) for e in env_files]
            if not env_paths and reads.isfile(os.path.join(sub_dir, ".env")):
                env_paths = [os.path.join(sub_dir, ".env")]
            sub_env = sources.env_from_files(env_paths, env)
            included: dict[str, Any] = {}
            for p in paths:
                if p in stack:
                    chain = " -> ".join([*stack, p])
                    raise ComposeError(f"include cycle detected: {chain}",
                                       self.marks.where(("include", i)))
                docs, marks = self.parse_file(p)
                with self.reading(marks):
                    for one in docs:
                        included = merge(included, self.process(one, p, sub_dir, sub_env,
                                                                [*stack, p]))
            self._import(doc, included, paths[0], i)

    def _import(self, doc: dict[str, Any], included: dict[str, Any], path: str,
                index: int) -> None:
        for kind in ("services", "networks", "volumes", "secrets", "configs"):
            for key, value in (included.get(kind) or {}).items():
                if not isinstance(doc.get(kind), dict):
                    doc[kind] = {}
                mine = doc[kind]
                if key in mine and strip(mine[key]) != value:
                    raise ComposeError(f"imported compose file {path} defines conflicting "
                                       f"{kind[:-1]} {key}",
                                       self.marks.where(("include", index)))
                mine[key] = value

    def _extends(self, doc: dict[str, Any], path: str, base: str,
                 env: dict[str, str]) -> None:
        services = doc.get("services") or {}
        cache: dict[str, dict[str, Any]] = {path: services}
        for name in list(services):
            services[name] = self._resolve(services, name, path, env, cache, [])

    def _resolve(self, services: dict[str, Any], name: str, path: str,
                 env: dict[str, str], cache: dict[str, dict[str, Any]],
                 trail: list[tuple[str, str]]) -> dict[str, Any]:
        svc = services.get(name)
        if not isinstance(svc, dict) or not isinstance(svc.get("extends"), dict):
            if svc is None:
                raise ComposeError(f'cannot extend service "{trail[-1][1] if trail else name}" '
                                   f'in {path}: service "{name}" not found',
                                   self.marks.where(("services", trail[-1][1], "extends")
                                                    if trail else ("services",)))
            return svc if isinstance(svc, dict) else {}
        if (path, name) in trail:
            chain = " -> ".join(n for _p, n in [*trail, (path, name)])
            raise ComposeError(f"circular reference with extends: {chain}",
                               self.marks.where(("services", name, "extends")))
        ext = svc["extends"]
        other, other_path = services, path
        if ext.get("file") and ext["file"] != path:
            other_path = ext["file"]
            if other_path not in cache:
                cache[other_path] = {}
                docs, marks = self.parse_file(other_path)
                with self.reading(marks):
                    for one in docs:
                        processed = self._plain(one, other_path, env)
                        cache[other_path].update(processed.get("services") or {})
            other = cache[other_path]
        base = self._resolve(other, ext["service"], other_path, env, cache,
                             [*trail, (path, name)])
        own = {k: v for k, v in svc.items() if k != "extends"}
        merged: dict[str, Any] = merge({k: v for k, v in base.items() if k != "extends"},
                                       own, ("services", name))
        return merged

    def _plain(self, doc: dict[str, Any], path: str, env: dict[str, str]) -> dict[str, Any]:
        """A file named by ``extends.file``: relative paths are its own directory's."""
        if self.interpolate:
            doc = interpolate(doc, env.get, self.marks, (), self.missing)
        validate(drop_repeats(doc), self.marks)
        return enforce_unicity(Canonicaliser(os.path.dirname(path), self.home, self.marks,
                                             not self.interpolate).document(doc))
