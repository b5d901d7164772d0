"""ARG semantics: the global scope before the first FROM, a stage's ARG, and
which ``--build-arg`` values were consumed (the rest earn Docker's warning).

``used`` is the build's set of consumed build-arg names; the functions add to it.
"""

from __future__ import annotations

from pallet.build.instructions import PROXY_ARGS, Scope, arg_decls
from pallet.build.stageimage import StageState
from pallet.dockerfile.parser import Dockerfile, Instruction


def predefined_args(platform: dict[str, str]) -> dict[str, str]:
    """BuildKit's automatic platform ARGs (global scope)."""
    plat = f"{platform['os']}/{platform['architecture']}"
    out = {}
    for prefix in ("TARGET", "BUILD"):
        out[f"{prefix}PLATFORM"] = plat
        out[f"{prefix}OS"] = platform["os"]
        out[f"{prefix}ARCH"] = platform["architecture"]
        out[f"{prefix}VARIANT"] = ""
    return out


def global_args(df: Dockerfile, build_args: dict[str, str | None], platform: dict[str, str],
                file: str, used: set[str]) -> dict[str, str]:
    """The meta scope: predefined ARGs plus the ARGs declared before the first FROM."""
    meta = dict(predefined_args(platform))
    for inst in df.instructions:
        if inst.cmd == "FROM":
            break
        if inst.cmd == "ARG":
            for k, v in arg_decls(inst, Scope([], meta, df.escape), file):
                given = build_args.get(k)
                if k in build_args and given is not None:
                    meta[k] = given
                    used.add(k)
                elif v is not None:
                    meta[k] = v
                elif k in build_args:
                    used.add(k)
    return meta


def declare_args(st: StageState, inst: Instruction, escape: str, file: str,
                 build_args: dict[str, str | None], meta: dict[str, str],
                 used: set[str]) -> None:
    """A stage's ``ARG``: a build arg, else the default, else the global value."""
    scope = st.scope(escape)
    for k, default in arg_decls(inst, scope, file):
        if k in build_args:
            used.add(k)
            given = build_args[k]
            value = given if given is not None else (default or meta.get(k))
        elif default is not None:
            value = default
        else:
            value = meta.get(k)
        if value is None:
            st.args.pop(k, None)
        else:
            st.args[k] = value


def unused_args(build_args: dict[str, str | None], used: set[str]) -> list[str]:
    """Build args no ARG consumed (proxy args never count), sorted."""
    return sorted(k for k in build_args if k not in used and k not in PROXY_ARGS)
