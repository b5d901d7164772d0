"""Dockerfile-like ``--change`` lines of ``docker import``/``commit`` applied to a config."""

from __future__ import annotations

import json
import shlex
from typing import Any

from pallet.errors import InvalidArgument

ALLOWED = (
    "CMD",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "LABEL",
    "ONBUILD",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
)


def _json_or_shell(rest: str) -> list[str]:
    if rest.startswith("["):
        try:
            value = json.loads(rest)
        except ValueError:
            value = None
        if isinstance(value, list) and all(isinstance(x, str) for x in value):
            return value
    return ["/bin/sh", "-c", rest]


def _pairs(rest: str, instr: str) -> list[tuple[str, str]]:
    words = shlex.split(rest)
    if words and "=" not in words[0]:
        key, _, value = rest.partition(" ")
        return [(key, value.strip())]
    out = []
    for w in words:
        if "=" not in w:
            raise InvalidArgument(f"{instr} names can not be blank or must be key=value: {w!r}")
        k, _, v = w.partition("=")
        out.append((k, v))
    return out


def apply_changes(config: dict[str, Any], changes: list[str]) -> dict[str, Any]:
    """Return a copy of ``config`` (the image config's ``config`` object) with changes."""
    c: dict[str, Any] = json.loads(json.dumps(config))
    for line in changes:
        line = line.strip()
        if not line:
            continue
        instr, _, rest = line.partition(" ")
        instr, rest = instr.upper(), rest.strip()
        if instr not in ALLOWED:
            raise InvalidArgument(f"{instr} is not a valid change command")
        if instr in ("CMD", "ENTRYPOINT"):
            c["Cmd" if instr == "CMD" else "Entrypoint"] = _json_or_shell(rest)
        elif instr == "ENV":
            env = list(c.get("Env") or [])
            for k, v in _pairs(rest, "ENV"):
                env = [e for e in env if e.partition("=")[0] != k] + [f"{k}={v}"]
            c["Env"] = env
        elif instr == "LABEL":
            labels = dict(c.get("Labels") or {})
            labels.update(dict(_pairs(rest, "LABEL")))
            c["Labels"] = labels
        elif instr == "EXPOSE":
            ports = dict(c.get("ExposedPorts") or {})
            for p in rest.split():
                ports[p if "/" in p else f"{p}/tcp"] = {}
            c["ExposedPorts"] = ports
        elif instr == "VOLUME":
            vols = dict(c.get("Volumes") or {})
            paths = _json_or_shell(rest) if rest.startswith("[") else rest.split()
            if paths[:2] == ["/bin/sh", "-c"]:
                paths = rest.split()
            for p in paths:
                vols[p] = {}
            c["Volumes"] = vols
        elif instr == "ONBUILD":
            c["OnBuild"] = [*(c.get("OnBuild") or []), rest]
        else:
            c[{"STOPSIGNAL": "StopSignal", "USER": "User", "WORKDIR": "WorkingDir"}[instr]] = rest
    return c
