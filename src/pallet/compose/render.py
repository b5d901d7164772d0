"""A project printed as ``docker compose config`` prints it (YAML or JSON).

The model keeps bytes and nanoseconds; Compose v2 prints sizes as decimal strings
(``"536870912"``), durations in Go's form (``1m30s``), a single ulimit as a number, ports
and mounts in its own key order, ``depends_on`` with its ``condition`` and ``required``,
maps sorted by key. YAML uses block style with indented sequences and double quotes
where a plain scalar would read as another type.
"""

from __future__ import annotations

from typing import Any

import msgspec

from pallet.compose.model import Dependency, Mount, Port, Project
from pallet.notation.durations import format_duration

_SIZE_KEYS = {"mem_limit", "mem_reservation", "memswap_limit", "shm_size", "memory", "size",
              "mem_swappiness"}
_DURATION_KEYS = {"interval", "timeout", "start_period", "start_interval",
                  "stop_grace_period", "delay", "window", "monitor"}
_SORTED = {"environment", "labels", "annotations", "sysctls", "args", "driver_opts",
           "options", "storage_opt", "services", "networks", "volumes", "secrets", "configs",
           "depends_on", "ulimits", "additional_contexts"}


def document(project: Project, *, printed: bool = True) -> dict[str, Any]:
    """The document (plain data) of ``project`` as Compose v2 prints it; with
    ``printed=False``, as its types hold it (``$`` not escaped, services' ``x-*``
    extensions left out): what the config hash is computed from."""
    doc: dict[str, Any] = msgspec.to_builtins(project)
    doc = {"name": doc.pop("name"), "services": doc.pop("services", {}), **doc}
    for key in [k for k in doc if k.startswith("x-pallet-")]:
        del doc[key]
    doc.update(doc.pop("x-extensions", None) or {})
    for name, svc in doc.get("services", {}).items():
        svc.pop("name", None)
        svc["ports"] = [_ordered(p, Port, {"mode": "ingress", "protocol": "tcp"})
                        for p in svc.get("ports") or []] or None
        svc["volumes"] = [_ordered(m, Mount, {"type": "volume"})
                          for m in svc.get("volumes") or []] or None
        deps = svc.get("depends_on") or {}
        for dep in deps:
            deps[dep] = _ordered(deps[dep], Dependency,
                                 {"condition": "service_started", "required": True})
        for kind in ("secrets", "configs"):
            for ref in svc.get(kind) or []:
                if "mode" in ref:
                    ref["mode"] = f"0{ref['mode']:o}"
        for device in svc.get("devices") or []:
            device.setdefault("permissions", "rwm")
        if svc.get("extra_hosts"):
            svc["extra_hosts"] = sorted(svc["extra_hosts"])
        for key, limit in (svc.get("ulimits") or {}).items():
            if set(limit) == {"single"}:
                svc["ulimits"][key] = limit["single"]
        extensions = svc.pop("x-extensions", None) or {}
        label_files = svc.pop("label_file", None)
        if printed:
            svc.update(extensions)
        else:  # in the hash, not in what Compose v2 prints
            svc["label_file"] = label_files
        doc["services"][name] = {k: v for k, v in svc.items() if v is not None}
    out: dict[str, Any] = _units(doc, "", printed)
    return out


def _ordered(value: dict[str, Any], cls: type[msgspec.Struct],
             defaults: dict[str, Any]) -> dict[str, Any]:
    """``value`` with the defaults msgspec left out, in ``cls``'s field order."""
    full = {**defaults, **value}
    return {k: full[k] for k in cls.__struct_fields__ if k in full}


def _units(value: Any, key: str, escape: bool) -> Any:
    if isinstance(value, dict):
        items = sorted(value.items()) if key in _SORTED else value.items()
        return {k: _units(v, k, escape) for k, v in items}
    if isinstance(value, list):
        return [_units(v, "", escape) for v in value]
    if isinstance(value, str):
        # printed for re-reading: "$" escaped, as Compose v2 prints it
        return value.replace("$", "$$") if escape else value
    if isinstance(value, int) and not isinstance(value, bool):
        if key in _SIZE_KEYS:
            return str(value)
        if key == "mode":
            return value
        if key in _DURATION_KEYS:
            return format_duration(value)
    return value


def to_json(project: Project) -> str:
    """Compose v2's JSON, as compose-go's Project.MarshalJSON writes it: Go's
    ``MarshalIndent`` with two spaces of a map (top-level keys and service names sorted,
    ``x-*`` extensions' maps too) whose services, networks and volumes are Go structs
    (their fields in declaration order, services' ``x-*`` extensions left out)."""
    from pallet.compose.confighash import go_json, go_network, go_service, go_volume

    doc = document(project)
    doc["services"] = {
        name: go_service({k: v for k, v in svc.items() if not k.startswith("x-")})
        for name, svc in sorted(doc["services"].items())}
    if doc.get("networks"):
        doc["networks"] = {k: go_network(v) for k, v in sorted(doc["networks"].items())}
    if doc.get("volumes"):
        doc["volumes"] = {k: go_volume(v) for k, v in sorted(doc["volumes"].items())}
    return go_json(_sorted_maps(doc, depth=1), indent=2).decode()


def _sorted_maps(value: Any, depth: int | None = None) -> Any:
    """``value`` with its maps' keys sorted, as Go marshals a map (``depth``: only that
    many levels; None: all)."""
    if isinstance(value, dict):
        deeper = None if depth is None else depth - 1
        if depth == 0:
            return value
        return {k: _sorted_maps(v, None if k.startswith("x-") else deeper)
                for k, v in sorted(value.items())}
    if isinstance(value, list) and depth is None:
        return [_sorted_maps(v) for v in value]
    return value


def to_yaml(project: Project) -> str:
    """Compose v2's YAML: whole floats without a fraction (``cpus: 1``) and the top-level
    ``x-*`` extensions' maps sorted, as Go's yaml encoder writes a float and a map."""
    from pallet.compose.confighash import go_floats
    from pallet.compose.yamlout import dump_yaml

    doc = document(project)
    for key in [k for k in doc if k.startswith("x-")]:
        doc[key] = _sorted_maps(doc[key])
    return dump_yaml(go_floats(doc))
