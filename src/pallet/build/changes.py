"""``docker commit --change``: Dockerfile instructions applied to an image config (pure).

Each change is parsed by the Dockerfile parser and applied with the builder's own
instruction rules (word expansion against the config's ``Env``, exec and shell
forms), as dockerd's ``BuildFromConfig`` does. Only the metadata instructions
Docker accepts for a commit are allowed. As in a build, ``ENTRYPOINT`` clears
``Cmd`` unless a ``CMD`` came before it in the same set of changes.
"""

from __future__ import annotations

import copy
from typing import Any

from pallet.build.instructions import (
    DEFAULT_SHELL,
    Scope,
    command,
    exposed_ports,
    healthcheck,
    key_values,
    set_env,
    volumes,
    workdir,
)
from pallet.dockerfile.parser import Instruction, ParseError, parse
from pallet.errors import InvalidArgument

ALLOWED = frozenset(
    "CMD ENTRYPOINT ENV EXPOSE HEALTHCHECK LABEL ONBUILD STOPSIGNAL USER VOLUME WORKDIR".split()
)
FILE = "changes"


def _instructions(changes: list[str]) -> list[Instruction]:
    out: list[Instruction] = []
    for line in changes:
        words = line.split(None, 1)
        if not words or words[0].startswith("#"):
            continue
        if words[0].upper() not in ALLOWED:
            raise InvalidArgument(f"{words[0].lower()} is not a valid change command")
        out.extend(parse(line, FILE).instructions)
    return out


def apply_commit_changes(config: dict[str, Any], changes: list[str]) -> dict[str, Any]:
    """A copy of ``config`` (an image config's ``config`` object, Docker's key names)
    with ``changes`` applied; bad changes raise InvalidArgument (400)."""
    cfg: dict[str, Any] = copy.deepcopy(config)
    cmd_set = False
    for inst in _instructions(changes):
        scope = Scope(env=list(cfg.get("Env") or []))
        shell = list(cfg.get("Shell") or DEFAULT_SHELL)
        cmd = inst.cmd
        if cmd == "ENV":
            env = list(cfg.get("Env") or [])
            for k, v in key_values(inst, scope, FILE):
                env = set_env(env, k, v)
            cfg["Env"] = env
        elif cmd == "LABEL":
            cfg["Labels"] = {**(cfg.get("Labels") or {}), **dict(key_values(inst, scope, FILE))}
        elif cmd == "EXPOSE":
            ports = dict(cfg.get("ExposedPorts") or {})
            ports.update({p: {} for p in exposed_ports(inst, scope, FILE)})
            cfg["ExposedPorts"] = ports
        elif cmd == "VOLUME":
            vols = dict(cfg.get("Volumes") or {})
            vols.update({v: {} for v in volumes(inst, scope, FILE)})
            cfg["Volumes"] = vols
        elif cmd in ("USER", "STOPSIGNAL"):
            value = scope.word(inst.args)
            if not value:
                raise ParseError(f"{FILE}:{inst.line}: {cmd} requires an argument")
            cfg["User" if cmd == "USER" else "StopSignal"] = value
        elif cmd == "WORKDIR":
            if not inst.args:
                raise ParseError(f"{FILE}:{inst.line}: WORKDIR requires exactly one argument")
            cfg["WorkingDir"] = workdir(str(cfg.get("WorkingDir") or "/"), inst, scope)
        elif cmd == "CMD":
            cfg["Cmd"] = command(inst, shell)
            cmd_set = True
        elif cmd == "ENTRYPOINT":
            cfg["Entrypoint"] = command(inst, shell) if inst.args.strip() else None
            if not cmd_set:
                cfg["Cmd"] = None
        elif cmd == "HEALTHCHECK":
            cfg["Healthcheck"] = healthcheck(inst, shell, FILE)
        elif cmd == "ONBUILD":
            cfg["OnBuild"] = [*(cfg.get("OnBuild") or []), inst.args]
        else:  # pragma: no cover - _instructions allows only the above
            raise InvalidArgument(f"{cmd.lower()} is not a valid change command")
    return cfg

