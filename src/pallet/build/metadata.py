"""Config-only instructions (ENV, LABEL, USER, CMD, ... ONBUILD) applied to a stage.

They change the stage's image config and make no layer; each returns the
``created_by`` text of its history entry (what Docker's classic builder shows).
"""

from __future__ import annotations

import json
from typing import Any

from pallet.build.instructions import (
    command,
    exposed_ports,
    healthcheck,
    key_values,
    set_env,
    shell_form,
    volumes,
    workdir,
)
from pallet.build.stageimage import StageState
from pallet.dockerfile.parser import Instruction, ParseError


def apply_metadata(st: StageState, inst: Instruction, escape: str, file: str) -> str:
    """Apply a config-only instruction; returns its history ``created_by``."""
    cfg = st.cfg
    scope = st.scope(escape)
    cmd = inst.cmd
    if cmd == "ENV":
        env = list(cfg.get("Env") or [])
        pairs = key_values(inst, scope, file)
        for k, v in pairs:
            env = set_env(env, k, v)
        cfg["Env"] = env
        return "ENV " + " ".join(f"{k}={v}" for k, v in pairs)
    if cmd == "LABEL":
        labels = dict(cfg.get("Labels") or {})
        pairs = key_values(inst, scope, file)
        labels.update(pairs)
        cfg["Labels"] = labels
        return "LABEL " + " ".join(f"{k}={v}" for k, v in pairs)
    if cmd == "MAINTAINER":
        st.config["author"] = scope.word(inst.args)
        return f"MAINTAINER {st.config['author']}"
    if cmd == "EXPOSE":
        new = exposed_ports(inst, scope, file)
        _add_keys(cfg, "ExposedPorts", new)
        return "EXPOSE map[" + " ".join(f"{p}:{{}}" for p in new) + "]"
    if cmd == "USER":
        cfg["User"] = scope.word(inst.args)
        if not cfg["User"]:
            raise ParseError(f"{file}:{inst.line}: USER requires an argument")
        return f"USER {cfg['User']}"
    if cmd == "WORKDIR":
        if not inst.args:
            raise ParseError(f"{file}:{inst.line}: WORKDIR requires exactly one argument")
        cfg["WorkingDir"] = workdir(str(cfg.get("WorkingDir") or "/"), inst, scope)
        return f"WORKDIR {cfg['WorkingDir']}"
    if cmd == "CMD":
        cfg["Cmd"] = command(inst, st.shell)
        st.cmd_set = True
        return f"CMD {_json(cfg['Cmd'])}"
    if cmd == "ENTRYPOINT":
        cfg["Entrypoint"] = command(inst, st.shell) if inst.args.strip() else None
        if not st.cmd_set:
            cfg["Cmd"] = None
        return f"ENTRYPOINT {_json(cfg['Entrypoint'] or [])}"
    if cmd == "VOLUME":
        paths = volumes(inst, scope, file)
        _add_keys(cfg, "Volumes", paths)
        return f"VOLUME {_json(paths)}"
    if cmd == "STOPSIGNAL":
        cfg["StopSignal"] = scope.word(inst.args)
        return f"STOPSIGNAL {cfg['StopSignal']}"
    if cmd == "HEALTHCHECK":
        cfg["Healthcheck"] = healthcheck(inst, st.shell, file)
        return f"HEALTHCHECK {_json(cfg['Healthcheck'])}"
    if cmd == "SHELL":
        cfg["Shell"] = shell_form(inst, file)
        return f"SHELL {_json(cfg['Shell'])}"
    if cmd == "ONBUILD":
        cfg["OnBuild"] = [*(cfg.get("OnBuild") or []), inst.args]
        return f"ONBUILD {inst.args}"
    raise ParseError(f"{file}:{inst.line}: unknown instruction: {cmd}")


def _json(value: Any) -> str:
    return json.dumps(value)


def _add_keys(cfg: dict[str, Any], field: str, keys: list[str]) -> None:
    """Docker's set-as-map fields (``ExposedPorts``, ``Volumes``): ``{key: {}}``."""
    cfg[field] = {**(cfg.get(field) or {}), **{k: {} for k in keys}}
