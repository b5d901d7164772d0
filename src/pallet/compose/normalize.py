"""The merged canonical document -> :class:`~pallet.compose.model.Project`.

What Compose v2 does once every file is merged: names resources (``PROJECT_KEY`` unless
``name:`` or ``external`` says otherwise), attaches services without networks to
``default`` and declares it, reads each service's ``env_file`` into ``environment`` (the
service's own entries win; a bare ``KEY`` takes the project environment's value), parses
sizes and durations, and checks the project is consistent (references to services,
networks, volumes, secrets and configs that exist; no dependency cycle; ``mem_limit``,
``cpus`` and ``deploy.resources`` that agree). Errors name ``file:line`` from the marks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec

from pallet.compose import reads
from pallet.compose.canonical import to_map
from pallet.compose.dotenv import read_env
from pallet.compose.errors import ComposeError
from pallet.compose.graph import with_dependencies
from pallet.compose.model import FileObject, Network, Project, Service, Volume
from pallet.compose.units import convert_units
from pallet.compose.yamlsrc import Marks, Path
from pallet.errors import InvalidArgument
from pallet.notation.keyvalue import read_env_file

_KINDS = ("networks", "volumes", "secrets", "configs")


def with_defaults(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """``doc`` with the ``default`` network attached and declared where services need it,
    the default Dockerfile named, and every network, volume, secret and config named
    (changes and returns ``doc``)."""
    services: dict[str, Any] = doc.get("services") or {}
    for key in _KINDS:
        doc[key] = doc.get(key) or {}
    for svc in services.values():
        build = svc.get("build")
        if isinstance(build, dict) and "dockerfile_inline" not in build:
            build.setdefault("dockerfile", "Dockerfile")  # after merging, as Compose v2
        if not svc.get("network_mode") and not svc.get("networks"):
            svc["networks"] = {"default": None}
        if "default" in (svc.get("networks") or {}) and "default" not in doc["networks"]:
            doc["networks"]["default"] = {}
    for kind in _KINDS:
        for key, obj in doc[kind].items():
            if isinstance(obj, dict) and isinstance(obj.get("labels"), list):
                obj["labels"] = to_map(obj["labels"])
            if isinstance(obj, dict) and "name" not in obj:
                obj["name"] = key if obj.get("external") else f"{name}_{key}"
    return doc


def to_project(doc: dict[str, Any], name: str, env: dict[str, str], marks: Marks,
               checks: bool = True) -> Project:
    """The model of the merged document ``doc`` for project ``name``; ``checks=False`` (for
    disabled services) skips the consistency rules Compose v2 applies to enabled ones."""
    with_defaults(doc, name)
    services: dict[str, Any] = doc.get("services") or {}
    for svc_name, svc in services.items():
        svc["name"] = svc_name
        _as_maps(svc)
        _extensions(svc)
        svc.pop("extends", None)
        _environment(svc, env, marks)
        _build_args(svc, env)
        _scale(svc, marks, checks)
        convert_units(svc, ("services", svc_name), marks, checks)
        _labels(svc, marks)
    project = Project(name=name)
    project.extensions = {k: v for k, v in doc.items() if k.startswith("x-")} or None
    project.services = {k: _convert(v, Service, ("services", k), marks)
                        for k, v in services.items()}
    for kind, cls in _TYPES.items():
        if doc[kind]:
            setattr(project, kind, {k: _convert(v, cls, (kind, k), marks)
                                    for k, v in doc[kind].items()})
    return project


_TYPES: dict[str, type[Any]] = {"networks": Network, "volumes": Volume, "secrets": FileObject,
                                "configs": FileObject}
_TYPE_NAMES = {"bool": "boolean", "int": "integer", "float": "number", "str": "string",
               "object": "mapping", "array": "list"}


def _convert(value: Any, cls: type[Any], at: Path, marks: Marks) -> Any:
    """``msgspec.convert`` with its error as a ComposeError at the key's line."""
    try:
        return msgspec.convert(value, cls)
    except msgspec.ValidationError as err:
        text = str(err)
        message, sep, where = text.rpartition(" - at `")
        if not sep:  # at the top of the object: msgspec names no place
            message, where = text, "$"
        m = re.match(r"Expected `(\w+)[^`]*`, got `\w+`", message)
        if m:
            message = f"must be a {_TYPE_NAMES.get(m.group(1), m.group(1))}"
        path: list[str | int] = list(at)
        unknown = re.match(r"Object contains unknown field `([^`]+)`", message)
        if unknown:  # valid for the schema, but not a field pallet's model has
            message = "not supported by pallet compose"
            where = where.rstrip("`") + "." + unknown.group(1)
        for step in re.findall(r"\.(\w+)|\[(\d+)\]|\[\.\.\.\]", where.rstrip("`")):
            if step[0]:
                path.append(step[0])
            elif step[1]:
                path.append(int(step[1]))
            else:
                break  # a map key msgspec does not name: stop at its parent
        label = ".".join(str(p) for p in path)
        raise ComposeError(f"{label}: {message}", marks.where(tuple(path))) from None


def _environment(svc: dict[str, Any], env: dict[str, str], marks: Marks) -> None:
    """``env_file`` contents under ``environment`` (the service's own entries win); bare keys
    take the project environment's value. Env files interpolate from the project
    environment, then the service's own entries."""
    own: dict[str, str | None] = {k: env.get(k, v) if v is None else v
                                  for k, v in (svc.get("environment") or {}).items()}

    def lookup(key: str) -> str | None:
        return env[key] if key in env else own.get(key)

    merged: dict[str, str | None] = {}
    for i, entry in enumerate(svc.pop("env_file", None) or []):
        path = entry.get("path", "")
        if not reads.exists(path):
            if not entry.get("required", True):
                continue
            raise ComposeError(f"env file {path} not found",
                               marks.where(("services", svc["name"], "env_file", i)))
        merged.update(_read_env_file(path, entry.get("format"), env, lookup))
    merged.update(own)
    if merged:
        svc["environment"] = merged
    else:
        svc.pop("environment", None)


def _read_env_file(path: str, fmt: str | None, env: dict[str, str],
                   lookup: Callable[[str], str | None]) -> dict[str, str]:
    """One ``env_file``: Compose's dotenv rules, or ``format: raw`` (``docker run
    --env-file``'s: lines verbatim, no quotes or interpolation)."""
    if fmt == "raw":
        try:
            lines = read_env_file(path, env, reads.read_text)
        except InvalidArgument as err:
            raise ComposeError(f"failed to parse env_file {path}: {err.message}") from None
        return dict(line.partition("=")[::2] for line in lines)
    if fmt:
        raise ComposeError(f"unsupported env_file format {fmt!r} for {path}")
    return read_env(path, lookup)


def _labels(svc: dict[str, Any], marks: Marks) -> None:
    """``label_file`` contents under ``labels`` (the service's own labels win)."""
    files = svc.get("label_file") or []
    merged: dict[str, str] = {}
    for i, path in enumerate(files):
        if not reads.exists(path):
            raise ComposeError(f"label file {path} not found",
                               marks.where(("services", svc["name"], "label_file", i)))
        merged.update(read_env(path, merged.get))
    if merged:
        svc["labels"] = {**merged, **(svc.get("labels") or {})}


def _as_maps(svc: dict[str, Any]) -> None:
    """The key=value collections a merge left as ``k=v`` sequences, as maps again (and
    ``group_add``'s numbers as the strings Compose v2 keeps)."""
    for key in ("environment", "labels", "annotations", "sysctls", "storage_opt"):
        if isinstance(svc.get(key), list):
            svc[key] = to_map(svc[key], null=key == "environment")
    for part, keys in (("build", ("args", "labels", "additional_contexts")),
                       ("deploy", ("labels",))):
        table = svc.get(part)
        if not isinstance(table, dict):
            continue
        for key in keys:
            if isinstance(table.get(key), list):
                table[key] = to_map(table[key], null=key == "args")
    if isinstance(svc.get("group_add"), list):  # the schema takes numbers, Compose v2 strings
        svc["group_add"] = [str(g) for g in svc["group_add"]]
    for mount in svc.get("volumes") or []:
        options = mount.get("volume") if isinstance(mount, dict) else None
        if isinstance(options, dict) and isinstance(options.get("labels"), list):
            options["labels"] = to_map(options["labels"])


def _extensions(svc: dict[str, Any]) -> None:
    ext = {k: svc.pop(k) for k in [k for k in svc if k.startswith("x-")]}
    if ext:
        svc["x-extensions"] = ext


def _build_args(svc: dict[str, Any], env: dict[str, str]) -> None:
    """A bare build arg takes the project environment's value, or is left out."""
    build = svc.get("build")
    if isinstance(build, dict) and isinstance(build.get("args"), dict):
        args = {k: v if v is not None else env.get(k) for k, v in build["args"].items()}
        build["args"] = {k: v for k, v in args.items() if v is not None}


def _scale(svc: dict[str, Any], marks: Marks, checks: bool) -> None:
    """``scale`` and ``deploy.replicas`` say the same thing: both set alike, or an error."""
    scale, deploy = svc.get("scale"), svc.get("deploy")
    replicas = deploy.get("replicas") if isinstance(deploy, dict) else None
    if checks and scale is not None and replicas is not None and scale != replicas:
        raise ComposeError(f"services.{svc['name']}: can't set distinct values on 'scale' and "
                           "'deploy.replicas'", marks.where(("services", svc["name"], "scale")))
    if scale is not None:
        svc["deploy"] = {**(deploy or {}), "replicas": scale}


def selected(project: Project, names: tuple[str, ...]) -> Project:
    """``project`` narrowed to the services ``names`` and those they depend on (what
    ``config web`` prints), without the resources only the others use."""
    for name in names:
        if name not in project.services:
            raise ComposeError(f"no such service: {name}")
    keep = with_dependencies(names, {n: list(s.depends_on or {})
                                     for n, s in project.services.items()})
    narrowed = msgspec.structs.replace(
        project, services={k: v for k, v in project.services.items() if k in keep})
    drop_unused(narrowed)
    return narrowed


def drop_unused(project: Project) -> None:
    """Leave out the networks, volumes, secrets and configs no enabled service uses."""
    services = list(project.services.values())
    used_networks = {n for s in services for n in s.networks or {}}
    used_volumes = {m.source for s in services for m in s.volumes or []
                    if m.type == "volume" and m.source}
    used_secrets = {r.source for s in services for r in s.secrets or []}
    used_secrets |= {r.source for s in services if s.build for r in s.build.secrets or []}
    used_configs = {r.source for s in services for r in s.configs or []}
    for kind, used in (("networks", used_networks), ("volumes", used_volumes),
                       ("secrets", used_secrets), ("configs", used_configs)):
        table = getattr(project, kind)
        if table is not None:
            kept = {k: v for k, v in table.items() if k in used}
            setattr(project, kind, kept or None)


def check(project: Project, marks: Marks) -> None:
    """Consistency checks on the enabled services."""
    for name, svc in project.services.items():
        at = ("services", name)
        for dep, spec in (svc.depends_on or {}).items():
            if dep not in project.services and spec.required:
                raise ComposeError(f'service "{name}" depends on undefined service "{dep}"',
                                   marks.where((*at, "depends_on", dep)))
        if svc.network_mode and svc.networks and not svc.network_mode.startswith("none"):
            raise ComposeError(f"service {name} declares mutually exclusive `network_mode` and "
                               "`networks`", marks.where((*at, "network_mode")))
        for net in svc.networks or {}:
            if net not in (project.networks or {}):
                raise ComposeError(f'service "{name}" refers to undefined network {net}',
                                   marks.where((*at, "networks", net)))
        for i, mount in enumerate(svc.volumes or []):
            if (mount.type == "volume" and mount.source
                    and mount.source not in (project.volumes or {})):
                raise ComposeError(f'service "{name}" refers to undefined volume {mount.source}',
                                   marks.where((*at, "volumes", i)))
        for kind in ("secrets", "configs"):
            declared = getattr(project, kind) or {}
            for i, ref in enumerate(getattr(svc, kind) or []):
                if ref.source not in declared:
                    raise ComposeError(f'service "{name}" refers to undefined '
                                       f"{kind[:-1]} {ref.source}", marks.where((*at, kind, i)))
        if svc.image is None and svc.build is None:
            raise ComposeError(f'service "{name}" has neither an image nor a build context '
                               "specified", marks.where(at))
    _check_cycles(project, marks)


def _check_cycles(project: Project, marks: Marks) -> None:
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join([*trail[trail.index(name):], name])
            raise ComposeError(f"dependency cycle detected: {cycle}",
                               marks.where(("services", name, "depends_on")))
        state[name] = 1
        svc = project.services.get(name)
        for dep in sorted((svc.depends_on or {}) if svc else {}):
            if dep in project.services:
                visit(dep, [*trail, name])
        state[name] = 2

    for name in sorted(project.services):
        visit(name, [])
