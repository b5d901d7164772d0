"""A project printed as ``docker compose config`` prints it (YAML or JSON).

The model keeps bytes and nanoseconds; Compose v2 prints sizes as decimal strings
(``"536870912"``), durations in Go's form (``1m30s``), a single ulimit as a number, ports
and mounts in its own key order, ``depends_on`` with its ``condition`` and ``required``,
maps sorted by key. YAML uses block style with indented sequences and double quotes
where a plain scalar would read as another type.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
import yaml

from pallet.compose.model import Project
from pallet.notation.durations import format_duration

_SIZE_KEYS = {"mem_limit", "mem_reservation", "memswap_limit", "shm_size", "memory", "size",
              "mem_swappiness"}
_DURATION_KEYS = {"interval", "timeout", "start_period", "start_interval",
                  "stop_grace_period", "delay", "window"}
_PORT_ORDER = ("name", "mode", "host_ip", "target", "published", "protocol", "app_protocol")
_MOUNT_ORDER = ("type", "source", "target", "read_only", "consistency", "bind", "volume",
                "tmpfs", "image")
_SORTED = {"environment", "labels", "annotations", "sysctls", "args", "driver_opts",
           "options", "storage_opt", "services", "networks", "volumes", "secrets", "configs",
           "depends_on", "ulimits", "additional_contexts"}


def document(project: Project) -> dict[str, Any]:
    """The printable document (plain data) of ``project``."""
    doc: dict[str, Any] = msgspec.to_builtins(project)
    for key in [k for k in doc if k.startswith("x-pallet-")]:
        del doc[key]
    doc.update(doc.pop("x-extensions", None) or {})
    for name, svc in doc.get("services", {}).items():
        svc.pop("name", None)
        for i, port in enumerate(svc.get("ports") or []):
            port.setdefault("mode", "ingress")
            port.setdefault("protocol", "tcp")
            svc["ports"][i] = {k: port[k] for k in _PORT_ORDER if k in port}
        svc["volumes"] = [{k: m[k] for k in _MOUNT_ORDER if k in m}
                          for m in svc.get("volumes") or []] or None
        for dep in (svc.get("depends_on") or {}).values():
            dep.setdefault("condition", "service_started")
            dep.setdefault("required", True)
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
        svc.update(svc.pop("x-extensions", None) or {})
        doc["services"][name] = {k: v for k, v in svc.items() if v is not None}
    out: dict[str, Any] = _units(doc, "")
    return out


def _units(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        items = sorted(value.items()) if key in _SORTED else value.items()
        return {k: _units(v, k) for k, v in items}
    if isinstance(value, list):
        return [_units(v, "") for v in value]
    if isinstance(value, str):
        return value.replace("$", "$$")  # printed for re-reading: "$" escaped, as Compose v2
    if isinstance(value, int) and not isinstance(value, bool):
        if key in _SIZE_KEYS:
            return str(value)
        if key == "mode":
            return value
        if key in _DURATION_KEYS:
            return format_duration(value)
    return value


def to_json(project: Project) -> str:
    """Compose v2's JSON: as the YAML, less services' ``x-*`` extensions, plus the fields
    Go's encoder never leaves out."""
    doc = document(project)
    for name, svc in doc["services"].items():
        svc = {k: v for k, v in svc.items() if not k.startswith("x-")}
        if "deploy" in svc:
            svc["deploy"] = {"resources": {}, "placement": {}, **svc["deploy"]}
        doc["services"][name] = {"command": None, "entrypoint": None, **svc}
    for net in (doc.get("networks") or {}).values():
        net.setdefault("ipam", {})
    return msgspec.json.format(msgspec.json.encode(doc), indent=4).decode()


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


_AMBIGUOUS = re.compile(
    r"^(?:true|false|yes|no|on|off|y|n|null|~|[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
    r"|0x[0-9a-fA-F]+|0o[0-7]+|[-+]?\.inf|\.nan|)$", re.IGNORECASE)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    style = '"' if _AMBIGUOUS.match(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(project: Project) -> str:
    return dump_yaml(document(project))


def dump_yaml(doc: Any) -> str:
    """``doc`` (plain data) in Compose v2's YAML style."""
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=1 << 16)
