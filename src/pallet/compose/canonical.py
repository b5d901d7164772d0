"""One compose file's document in canonical form: every short syntax in its long form and
every relative path absolute, so that files merge by the spec's rules and the model reads
one shape.

Run per file (after interpolation and schema validation, before merging), with the
directory relative paths start from: the project directory for ``-f`` files, the included
project's directory for ``include``, the extended file's directory for ``extends.file``.
``~`` in a bind source or a file path is the user's home.
"""

from __future__ import annotations

import os
import shlex
from typing import Any

from pallet.compose.errors import ComposeError
from pallet.compose.shortsyntax import parse_device, parse_extra_host, parse_ports, parse_volume
from pallet.compose.yamlsrc import Marks, Override, Reset

_MAPS = ("labels", "annotations", "sysctls", "storage_opt")
_LISTS = ("dns", "dns_search", "tmpfs", "label_file", "cap_add", "cap_drop")
# what Compose v2 leaves in short form when it does not interpolate (``config
# --no-interpolate`` prints its document before the model): the values the model reads
_MODEL_ONLY = {"command", "entrypoint", "environment", "expose", "extra_hosts", "ulimits",
               "healthcheck", "deploy", *_MAPS, "dns_search", "tmpfs", "cap_add", "cap_drop"}


def is_remote(path: str) -> bool:
    return "://" in path or path.startswith(("git@", "github.com/"))


def absolute(path: str, base: str, home: str) -> str:
    if path == "~" or path.startswith("~/"):
        path = home + path[1:]
    return os.path.normpath(os.path.join(base, path))


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_map(value: Any, sep: str = "=", null: bool = False) -> Any:
    """``[k=v, k]`` or ``{k: v}`` -> ``{k: "v"}``; a bare ``k`` is None (``null``) or ""."""
    if isinstance(value, list):
        out: dict[str, str | None] = {}
        for item in value:
            key, has, val = str(item).partition(sep)
            out[key] = val if has else (None if null else "")
        return out
    if isinstance(value, dict):
        return {k: (None if v is None and null else (_scalar(v) or "")
                    if not isinstance(v, Reset | Override) else v)
                for k, v in value.items()}
    return value


def _unwrap(fn: Any) -> Any:
    def apply(value: Any, *args: Any) -> Any:
        if isinstance(value, Override):
            return Override(fn(value.value, *args))
        if isinstance(value, Reset) or value is None:
            return value
        return fn(value, *args)

    return apply


class Canonicaliser:
    def __init__(self, base: str, home: str, marks: Marks, lenient: bool = False) -> None:
        self.lenient = lenient  # not interpolated: a value that does not parse stays as is
        self.base = base
        self.home = home
        self.marks = marks

    def path(self, value: str) -> str:
        return absolute(value, self.base, self.home)

    def document(self, doc: dict[str, Any]) -> dict[str, Any]:
        services = doc.get("services")
        if isinstance(services, dict):
            for name, svc in services.items():
                if isinstance(svc, dict):
                    services[name] = self.service(svc, name)
                elif svc is None:
                    services[name] = {}
        for kind in ("networks", "volumes", "secrets", "configs"):
            table = doc.get(kind)
            if isinstance(table, dict):
                for key, obj in table.items():
                    table[key] = self.resource(kind, obj)
        return doc

    def resource(self, kind: str, obj: Any) -> Any:
        if obj is None:
            return {}
        if not isinstance(obj, dict):
            return obj
        ext = obj.get("external")
        if isinstance(ext, dict):  # legacy ``external: {name: x}``
            obj["external"] = True
            if "name" in ext:
                obj["name"] = ext["name"]
        for key in ("labels", "driver_opts"):
            if key in obj:
                obj[key] = _unwrap(to_map)(obj[key])
        ipam = obj.get("ipam")
        if isinstance(ipam, dict):
            if "options" in ipam:
                ipam["options"] = to_map(ipam["options"])
            for pool in ipam.get("config") or []:
                if isinstance(pool, dict) and "aux_addresses" in pool:
                    pool["aux_addresses"] = to_map(pool["aux_addresses"])
        if kind in ("secrets", "configs") and isinstance(obj.get("file"), str):
            obj["file"] = self.path(obj["file"])
        return obj

    def service(self, svc: dict[str, Any], name: str) -> dict[str, Any]:
        for key, fn in (
            ("build", self.build), ("command", _command), ("entrypoint", _command),
            ("depends_on", _depends_on), ("environment", lambda v: to_map(v, null=True)),
            ("env_file", self.env_file), ("extends", self.extends),
            ("networks", _networks), ("ports", _ports), ("expose", _expose),
            ("volumes", self.volumes), ("secrets", lambda v: _files(v, "/run/secrets/")),
            ("configs", lambda v: _files(v, "")), ("devices", _devices),
            ("extra_hosts", _extra_hosts), ("ulimits", _ulimits),
            ("healthcheck", _healthcheck), ("deploy", _deploy), ("logging", _logging),
        ):
            if key in svc and not (self.lenient and key in _MODEL_ONLY):
                try:
                    svc[key] = _unwrap(fn)(svc[key])
                except ComposeError as err:
                    if self.lenient:
                        continue
                    if err.where:
                        raise
                    raise ComposeError(f"services.{name}.{key}: {err.detail}",
                                       self.marks.where(("services", name, key))) from None
        for key in () if self.lenient else _MAPS:
            if key in svc:
                svc[key] = _unwrap(to_map)(svc[key])
        for key in _LISTS:
            if isinstance(svc.get(key), str) and not (self.lenient and key in _MODEL_ONLY):
                svc[key] = [svc[key]]
        if isinstance(svc.get("label_file"), list):
            svc["label_file"] = [self.path(p) for p in svc["label_file"]]
        return svc

    def build(self, value: Any) -> Any:
        build = {"context": value} if isinstance(value, str) else value
        if not isinstance(build, dict):
            return value
        context = build.get("context", ".")
        if isinstance(context, str) and not is_remote(context):
            build["context"] = self.path(context)
        for key in () if self.lenient else ("args", "labels", "additional_contexts"):
            if key in build:
                build[key] = _unwrap(to_map)(build[key], "=", key == "args")
        if isinstance(build.get("secrets"), list):
            build["secrets"] = _files(build["secrets"], "")
        if isinstance(build.get("ssh"), dict):
            build["ssh"] = [f"{k}={v}" if v else k for k, v in build["ssh"].items()]
        return build

    def env_file(self, value: Any) -> Any:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            return value
        out = []
        for item in items:
            entry = {"path": item} if isinstance(item, str) else dict(item)
            entry.setdefault("required", True)
            if isinstance(entry.get("path"), str):
                entry["path"] = self.path(entry["path"])
            out.append(entry)
        return out

    def extends(self, value: Any) -> Any:
        ext = {"service": value} if isinstance(value, str) else value
        if isinstance(ext, dict) and isinstance(ext.get("file"), str):
            ext["file"] = self.path(ext["file"])
        return ext

    def volumes(self, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        out = []
        for item in value:
            entry = parse_volume(item) if isinstance(item, str) else item
            if isinstance(entry, dict) and entry.get("type") == "bind":
                source = entry.get("source")
                if isinstance(source, str):
                    entry["source"] = self.path(source)
            out.append(entry)
        return out


def _command(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as err:
            raise ComposeError(f"invalid command line {value!r}: {err}") from None
    return value


def _depends_on(value: Any) -> Any:
    if isinstance(value, list):
        return {str(n): {"condition": "service_started", "required": True} for n in value}
    if isinstance(value, dict):
        for dep in value.values():
            if isinstance(dep, dict):
                dep.setdefault("condition", "service_started")
                dep.setdefault("required", True)
    return value


def _networks(value: Any) -> Any:
    if isinstance(value, list):
        return {str(n): None for n in value}
    if isinstance(value, dict):
        for attachment in value.values():
            if isinstance(attachment, dict) and "driver_opts" in attachment:
                attachment["driver_opts"] = to_map(attachment["driver_opts"])
    return value


def _logging(value: Any) -> Any:
    if isinstance(value, dict) and "options" in value:
        value["options"] = to_map(value["options"])
    return value


_REPEATS = ("annotations", "cap_add", "cap_drop", "configs", "devices", "dns", "dns_opt",
            "dns_search", "env_file", "environment", "expose", "labels", "links", "ports",
            "profiles", "secrets", "sysctls", "tmpfs", "volumes")  # Compose v2's unique lists


def drop_repeats(doc: Any) -> Any:
    """Entries a service lists twice, once (the schema wants them unique; Compose v2 removes
    repeats before it validates)."""
    services = doc.get("services") if isinstance(doc, dict) else None
    for svc in services.values() if isinstance(services, dict) else ():
        for key in _REPEATS if isinstance(svc, dict) else ():
            if isinstance(svc.get(key), list):
                seen: dict[str, Any] = {}
                for item in svc[key]:
                    seen.setdefault(repr(item), item)
                svc[key] = list(seen.values())
    return doc


def _ports(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    out: list[Any] = []
    for item in value:
        if isinstance(item, str | int) and not isinstance(item, bool):
            out.extend(parse_ports(item))
        elif isinstance(item, dict):
            entry = dict(item)
            entry.setdefault("mode", "ingress")
            entry.setdefault("protocol", "tcp")
            if "published" in entry and entry["published"] is not None:
                entry["published"] = str(entry["published"])
            out.append(entry)
        else:
            out.append(item)
    return out


def _expose(value: Any) -> Any:
    return [str(v) for v in value] if isinstance(value, list) else value


def _files(value: Any, prefix: str) -> Any:
    """Secret and config references in long form; a secret's target defaults to
    ``/run/secrets/SOURCE`` (a relative target is kept: it is under ``/run/secrets``)."""
    if not isinstance(value, list):
        return value
    out = []
    for item in value:
        entry = {"source": item} if isinstance(item, str) else item
        if prefix and isinstance(entry, dict) and "target" not in entry:
            entry["target"] = prefix + str(entry.get("source", ""))
        out.append(entry)
    return out


def _devices(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    return [parse_device(v) if isinstance(v, str) else v for v in value]


def _extra_hosts(value: Any) -> Any:
    if isinstance(value, dict):
        out = []
        for host, ips in value.items():
            for ip in ips if isinstance(ips, list) else [ips]:
                out.append(f"{host}={ip}")
        return out
    if isinstance(value, list):
        return [parse_extra_host(str(v)) for v in value]
    return value


def _ulimits(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {k: {"single": v} if isinstance(v, int) else v for k, v in value.items()}


def _healthcheck(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("test"), str):
        value["test"] = ["CMD-SHELL", value["test"]]
    return value


def _deploy(value: Any) -> Any:
    if isinstance(value, dict) and "labels" in value:
        value["labels"] = to_map(value["labels"])
    return value
