"""Merging canonical compose documents with the compose spec's override rules.

Mappings merge key by key; sequences append; a null override keeps the base value. The
exceptions: ``command``, ``entrypoint`` and ``healthcheck.test`` are replaced; ``ports``,
``volumes``, ``secrets``, ``configs`` and ``devices`` are unique by their key (target, or
host IP + target + published + protocol for ports) and an override entry with a key
already present replaces that entry in place; plain string lists (``dns``, ``cap_add``,
``extra_hosts``, aliases ...) drop repeated values; ``logging`` with another driver is
replaced; IPAM pools merge by subnet; ``environment``, ``labels``, ``build.args`` and the
other key=value collections merge by key into a ``k=v`` sequence, sorted. ``!reset``
removes the value, ``!override`` replaces it.
Used for ``-f`` overrides, ``extends`` and the project's own files alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pallet.compose.yamlsrc import Override, Path, Reset, strip

_REPLACE = {"services.*.command", "services.*.entrypoint", "services.*.healthcheck.test"}
_UNIQUE_VALUES = {"services.*." + k for k in (
    "cap_add", "cap_drop", "dns", "dns_opt", "dns_search", "expose", "extra_hosts", "links",
    "profiles", "tmpfs", "security_opt", "label_file", "networks.*.aliases",
    "networks.*.link_local_ips", "build.tags", "build.platforms")}


def _port_key(entry: Any) -> Any:
    if not isinstance(entry, dict):
        return repr(entry)
    return (entry.get("host_ip"), entry.get("target"), entry.get("published"),
            entry.get("protocol", "tcp"))


def _target_key(entry: Any) -> Any:
    return entry.get("target") if isinstance(entry, dict) else repr(entry)


def _env_file_key(entry: Any) -> Any:
    return entry.get("path") if isinstance(entry, dict) else repr(entry)


def _subnet_key(entry: Any) -> Any:
    return entry.get("subnet") if isinstance(entry, dict) else repr(entry)


# key=value collections merged by key into a sequence, as Compose v2 does
_SEQUENCE = {"services.*." + k for k in (
    "environment", "labels", "annotations", "sysctls", "build.args", "build.labels",
    "build.additional_contexts", "deploy.labels", "volumes.*.volume.labels")}
_SEQUENCE |= {"networks.*.labels", "volumes.*.labels"}

_KEYED: dict[str, Callable[[Any], Any]] = {
    "services.*.ports": _port_key,
    "services.*.volumes": _target_key,
    "services.*.secrets": _target_key,
    "services.*.configs": _target_key,
    "services.*.devices": _target_key,
    "services.*.env_file": _env_file_key,
    "networks.*.ipam.config": _subnet_key,
}


def _match(path: Path, patterns: set[str] | dict[str, Any]) -> str | None:
    for pattern in patterns:
        parts = pattern.split(".")
        if len(parts) == len(path) and all(
                p == "*" or p == str(k) for p, k in zip(parts, path, strict=True)):
            return pattern
    return None


def merge(base: Any, over: Any, path: Path = ()) -> Any:
    """``over`` merged onto ``base`` (both canonical); neither argument is changed."""
    if isinstance(over, Override):
        return strip(over.value)
    if over is None:
        return strip(base)
    if base is None or _match(path, _REPLACE):
        return strip(over)
    if _match(path, _SEQUENCE):
        pairs = {**_pairs(base), **_pairs(strip(over))}
        return [k if v is None else f"{k}={_text(v)}" for k, v in sorted(pairs.items())]
    if isinstance(base, dict) and isinstance(over, dict):
        if ("single" in base or "single" in over) and _match(path, {"services.*.ulimits.*"}):
            return strip(over)  # a single limit and a soft/hard pair replace each other
        if path[-1:] == ("logging",) and _match(path, {"services.*.logging"}):
            if over.get("driver") not in (None, base.get("driver")) and "driver" in base:
                return strip(over)
        out = {k: v for k, v in base.items()}
        for key, value in over.items():
            if isinstance(value, Reset):
                out.pop(key, None)
            elif key in out:
                out[key] = merge(out[key], value, (*path, key))
            else:
                out[key] = strip(value)
        return out
    if isinstance(base, list) and isinstance(over, list):
        keyed = _match(path, _KEYED)
        if keyed is not None:
            return _merge_keyed(base, strip(over), _KEYED[keyed], path)
        merged = list(base) + strip(over)
        if _match(path, _UNIQUE_VALUES):
            seen: list[Any] = []
            for item in merged:
                if item not in seen:
                    seen.append(item)
            return seen
        return merged
    return strip(over)


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _pairs(value: Any) -> dict[str, Any]:
    """``[k=v, k]`` or ``{k: v}`` as a dict (a bare ``k`` is None)."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    out: dict[str, Any] = {}
    for item in value if isinstance(value, list) else []:
        key, has, val = str(item).partition("=")
        out[key] = val if has else None
    return out


def _merge_keyed(base: list[Any], over: list[Any], key: Callable[[Any], Any],
                 path: Path) -> list[Any]:
    out = list(base)
    index = {key(e): i for i, e in enumerate(out)}
    for entry in over:
        k = key(entry)
        if k in index:
            i = index[k]
            out[i] = merge(out[i], entry, (*path, i))
        else:
            index[k] = len(out)
            out.append(entry)
    return out


def enforce_unicity(doc: dict[str, Any]) -> dict[str, Any]:
    """One entry per key in each service's keyed lists (ports, volumes, secrets ...) and
    one of each value in its plain lists, as after a merge (Compose v2 applies it to each
    file too)."""
    services = doc.get("services")
    for name, svc in services.items() if isinstance(services, dict) else ():
        for key, value in svc.items() if isinstance(svc, dict) else ():
            path = ("services", name, key)
            keyed = _match(path, _KEYED)
            if isinstance(value, list) and keyed is not None:
                svc[key] = _merge_keyed([], value, _KEYED[keyed], path)
    return doc
