"""Compose files -> :class:`~pallet.compose.model.Project` (a first cut: long syntax only).

The full loader (lookup, merge, include, extends, interpolation, normalisation, schema
validation) replaces this body; :func:`load` keeps its signature.
"""

from __future__ import annotations

import os

import msgspec
import yaml

from pallet.compose.errors import ComposeError
from pallet.compose.model import Project
from pallet.compose.options import ProjectOptions

NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")


def load(options: ProjectOptions) -> Project:
    """Load the project ``options`` select."""
    cwd = options.cwd or os.getcwd()
    files = [os.path.join(cwd, f) for f in options.files]
    if not files:
        for name in NAMES:
            if os.path.exists(os.path.join(cwd, name)):
                files = [os.path.join(cwd, name)]
                break
    if not files:
        raise ComposeError("no configuration file provided: not found")
    with open(files[0], encoding="utf-8") as f:
        doc = yaml.safe_load(f) or {}
    workdir = options.project_directory or os.path.dirname(files[0])
    name = options.project_name or doc.get("name") or os.path.basename(workdir)
    doc["name"] = name
    for key, svc in (doc.get("services") or {}).items():
        svc["name"] = key
    for kind in ("networks", "volumes", "secrets", "configs"):
        for key, obj in (doc.get(kind) or {}).items():
            doc[kind][key] = obj = obj or {}
            obj.setdefault("name", key if obj.get("external") else f"{name}_{key}")
    try:
        project = msgspec.convert(doc, Project)
    except msgspec.ValidationError as err:
        raise ComposeError(str(err), files[0]) from None
    project.working_dir = workdir
    project.compose_files = files
    return project
