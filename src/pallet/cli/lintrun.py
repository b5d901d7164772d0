"""What ``pallet lint`` reads: the paths on its command line sorted into Dockerfiles and
compose projects, each linted with the source lines kept for inline ignores.

A directory stands for its ``Dockerfile`` (or ``Containerfile``) and its compose project
(found the way ``pallet compose`` finds it); a ``*.yaml``/``*.yml`` file is a compose file,
anything else a Dockerfile (``-f -``: read from stdin). A Dockerfile's build context is its
directory unless ``--context`` names one; its ``.dockerignore`` (``NAME.dockerignore``
beside it first, as BuildKit reads it) decides what ``COPY . .`` sends. A compose project's
services that ``build:`` from a local context have their Dockerfiles linted too, against
that context (each Dockerfile once).
"""

from __future__ import annotations

import os

from pallet.errors import InvalidArgument
from pallet.lint.model import Finding

COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
DOCKERFILE_NAMES = ("Dockerfile", "Containerfile")


def classify(paths: list[str], files: list[str]) -> tuple[list[str], list[list[str]]]:
    """(Dockerfiles, compose projects as lists of files) named by ``paths`` and ``-f``."""
    dockerfiles = list(files)
    projects: list[list[str]] = []
    for p in paths or ([] if files else ["."]):
        if os.path.isdir(p):
            found_df = [os.path.join(p, n) for n in DOCKERFILE_NAMES
                        if os.path.isfile(os.path.join(p, n))][:1]
            found_c = [os.path.join(p, n) for n in COMPOSE_NAMES
                       if os.path.isfile(os.path.join(p, n))][:1]
            if not found_df and not found_c:
                raise InvalidArgument(f"{p}: no Dockerfile or compose file here")
            dockerfiles += found_df
            if found_c:
                override = found_c[0].replace(".y", ".override.y")
                projects.append(found_c + ([override] if os.path.isfile(override) else []))
        elif not os.path.isfile(p):
            raise InvalidArgument(f"{p}: no such file or directory")
        elif p.endswith((".yaml", ".yml")):
            projects.append([p])
        else:
            dockerfiles.append(p)
    return [_display(d) for d in dockerfiles], projects


def _display(path: str) -> str:
    return os.path.normpath(path) if not path.startswith("./") else path[2:]


def dockerignore_text(dockerfile: str, context: str) -> str | None:
    for candidate in (dockerfile + ".dockerignore", os.path.join(context, ".dockerignore")):
        try:
            with open(candidate, encoding="utf-8") as f:
                return f.read()
        except OSError:
            continue
    return None


def lint_dockerfile_at(path: str, context: str | None
                       ) -> tuple[list[Finding], dict[str, list[str]]]:
    from pallet.lint.dockerfile import lint_dockerfile, source_lines

    try:
        if path == "-":
            import sys

            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidArgument(f"{path}: {getattr(e, 'strerror', None) or e}") from None
    ctx = context if context is not None else (os.path.dirname(path) or ".")
    found = lint_dockerfile(text, path, dockerignore_text(path, ctx))
    return found, {path: source_lines(text)}


def lint_compose_files(files: list[str]
                       ) -> tuple[list[Finding], dict[str, list[str]], list[tuple[str, str]]]:
    """Findings, source lines and the (Dockerfile, context) of each service built locally."""
    from pallet.compose.options import ProjectOptions
    from pallet.composelint.rules import lint_project, load

    project, marks = load(ProjectOptions(files=tuple(files)))  # errors name file:line
    builds = []
    for svc in project.services.values():
        b = svc.build
        if b is None or b.dockerfile_inline or "://" in b.context or b.context.startswith(
                "git@"):
            continue
        df = os.path.join(b.context, b.dockerfile or "Dockerfile")
        if os.path.isfile(df):
            rel = os.path.relpath(df)
            builds.append((df if rel.startswith("..") else rel, b.context))
    return (*lint_project(project, marks), builds)


def lint_all(paths: list[str], files: list[str], context: str | None
             ) -> tuple[list[Finding], dict[str, list[str]]]:
    dockerfiles, projects = classify(paths, files)
    found: list[Finding] = []
    sources: dict[str, list[str]] = {}
    linted: set[str] = set()
    for d in dockerfiles:
        f, s = lint_dockerfile_at(d, context)
        found += f
        sources.update(s)
        linted.add(os.path.realpath(d))
    for p in projects:
        f, s, builds = lint_compose_files(p)
        found += f
        sources.update(s)
        for df, ctx in builds:
            if os.path.realpath(df) not in linted:
                linted.add(os.path.realpath(df))
                f, s = lint_dockerfile_at(df, ctx)
                found += f
                sources.update(s)
    return found, sources
