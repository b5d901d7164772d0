"""What each metadata instruction does to an image config, and flag parsing (pure).

``Scope`` holds what expansion sees: the config's ``Env`` plus the ARGs declared
in the stage (ENV wins over ARG, as in Docker).
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from typing import Any

from pallet.dockerfile.parser import Instruction, ParseError
from pallet.dockerfile.words import expand, expand_words, split_quoted
from pallet.notation.durations import parse_duration

DEFAULT_SHELL = ("/bin/sh", "-c")
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PROXY_ARGS = frozenset(
    "HTTP_PROXY http_proxy HTTPS_PROXY https_proxy FTP_PROXY ftp_proxy NO_PROXY no_proxy "
    "ALL_PROXY all_proxy".split()
)


@dataclass
class Scope:
    env: list[str]  # the config's Env, KEY=value
    args: dict[str, str] = field(default_factory=dict)  # declared ARGs with a value
    escape: str = "\\"

    def mapping(self) -> dict[str, str]:
        out = dict(self.args)
        for e in self.env:
            k, _, v = e.partition("=")
            out[k] = v
        return out

    def word(self, text: str) -> str:
        return expand(text, self.mapping(), self.escape)

    def words(self, text: str) -> list[str]:
        return expand_words(text, self.mapping(), self.escape)


def where(inst: Instruction, file: str) -> str:
    return f"{file}:{inst.line}: "


def key_values(inst: Instruction, scope: Scope, file: str) -> list[tuple[str, str]]:
    """ENV and LABEL: ``k=v k2="v 2"`` or the legacy ``k v w`` form; values expanded."""
    words = split_quoted(inst.args, scope.escape)
    if not words:
        raise ParseError(f"{where(inst, file)}{inst.cmd} requires at least one argument")
    if "=" not in words[0]:
        parts = inst.args.strip().split(None, 1)
        if len(parts) < 2:
            raise ParseError(f"{where(inst, file)}{inst.cmd} must have two arguments")
        return [(parts[0], scope.word(parts[1].strip()))]
    out = []
    m = scope.mapping()
    for w in words:
        k, eq, v = w.partition("=")
        if not eq or not k:
            raise ParseError(
                f"{where(inst, file)}{inst.cmd} names can not be blank or must be key=value: {w}"
            )
        out.append((expand(k, m, scope.escape), expand(v, m, scope.escape)))
    return out


def set_env(env: list[str], key: str, value: str) -> list[str]:
    return [e for e in env if e.partition("=")[0] != key] + [f"{key}={value}"]


def arg_decls(inst: Instruction, scope: Scope, file: str) -> list[tuple[str, str | None]]:
    """``ARG a b=1 c="x y"`` -> [(a, None), (b, "1"), (c, "x y")] (defaults expanded)."""
    words = split_quoted(inst.args, scope.escape)
    if not words:
        raise ParseError(f"{where(inst, file)}ARG requires at least one argument")
    out: list[tuple[str, str | None]] = []
    for w in words:
        k, eq, v = w.partition("=")
        if not k:
            raise ParseError(f"{where(inst, file)}ARG names can not be blank")
        out.append((k, scope.word(v) if eq else None))
    return out


def command(inst: Instruction, shell: list[str]) -> list[str]:
    """CMD / ENTRYPOINT / RUN / HEALTHCHECK CMD: exec form as is, shell form via SHELL."""
    if inst.json is not None:
        return list(inst.json)
    return [*shell, inst.args]


def exposed_ports(inst: Instruction, scope: Scope, file: str) -> list[str]:
    out = []
    for w in scope.words(inst.args):
        port, _, proto = w.partition("/")
        proto = (proto or "tcp").lower()
        if proto not in ("tcp", "udp", "sctp"):
            raise ParseError(f"{where(inst, file)}invalid proto: {proto}")
        lo, dash, hi = port.partition("-")
        if not lo.isdigit() or (dash and not hi.isdigit()):
            raise ParseError(f"{where(inst, file)}invalid containerPort: {port}")
        for p in range(int(lo), int(hi if dash else lo) + 1):
            out.append(f"{p}/{proto}")
    return out


def volumes(inst: Instruction, scope: Scope, file: str) -> list[str]:
    paths = [scope.word(x) for x in inst.json] if inst.json is not None else scope.words(inst.args)
    paths = [p for p in paths if p.strip()]
    if not paths:
        raise ParseError(f"{where(inst, file)}VOLUME specified can not be an empty string")
    return paths


def workdir(current: str, inst: Instruction, scope: Scope) -> str:
    path = scope.word(inst.args)
    if not path.startswith("/"):
        path = posixpath.join(current or "/", path)
    return posixpath.normpath(path)


def shell_form(inst: Instruction, file: str) -> list[str]:
    if inst.json is None:
        raise ParseError(f"{where(inst, file)}SHELL requires the arguments to be in JSON form")
    if not inst.json:
        raise ParseError(f"{where(inst, file)}SHELL requires at least one argument")
    return list(inst.json)


HEALTH_FLAGS = ("interval", "timeout", "start-period", "start-interval", "retries")


def healthcheck(inst: Instruction, shell: list[str], file: str) -> dict[str, Any]:
    flags = inst.flag_map(HEALTH_FLAGS, f"{file}:")
    words = inst.args.split(None, 1)
    if not words:
        raise ParseError(f"{where(inst, file)}HEALTHCHECK requires an argument")
    kind = words[0].upper()
    if kind == "NONE":
        if len(words) > 1 or flags:
            raise ParseError(f"{where(inst, file)}HEALTHCHECK NONE takes no arguments")
        return {"Test": ["NONE"]}
    if kind != "CMD":
        raise ParseError(f"{where(inst, file)}Unknown type {kind!r} in HEALTHCHECK (try CMD)")
    rest = words[1] if len(words) > 1 else ""
    try:
        value = json.loads(rest) if rest.startswith("[") else None
    except ValueError:
        value = None
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        test = ["CMD", *value]
    else:
        test = ["CMD-SHELL", rest]
    out: dict[str, Any] = {"Test": test}
    names = {"interval": "Interval", "timeout": "Timeout", "start-period": "StartPeriod",
             "start-interval": "StartInterval"}
    for flag, key in names.items():
        if flag in flags:
            try:
                out[key] = parse_duration(flags[flag][-1])
            except ValueError as e:
                raise ParseError(f"{where(inst, file)}{e}") from None
    if "retries" in flags:
        value_r = flags["retries"][-1]
        if not value_r.isdigit() or int(value_r) < 1:
            raise ParseError(f"{where(inst, file)}--retries must be at least 1")
        out["Retries"] = int(value_r)
    return out


@dataclass(frozen=True)
class RunMount:
    type: str  # bind | cache | secret | tmpfs | ssh
    target: str
    source: str = ""
    from_: str = ""
    id: str = ""
    readonly: bool = True
    required: bool = False
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    sharing: str = "shared"
    size: int = 0
    env: str = ""

    def key(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None, False, 0)}


_MOUNT_TYPES = ("bind", "cache", "secret", "tmpfs", "ssh")


def parse_mount(spec: str, file: str, inst: Instruction) -> RunMount:
    """``type=cache,target=/root/.cache,id=x`` (BuildKit's RUN --mount syntax)."""
    fields: dict[str, str] = {}
    for part in spec.split(","):
        if not part:
            continue
        k, eq, v = part.partition("=")
        k = k.strip().lower()
        fields[k] = v if eq else "true"
    mtype = fields.pop("type", "bind").lower()
    if mtype not in _MOUNT_TYPES:
        raise ParseError(f"{where(inst, file)}unsupported mount type {mtype!r}")
    target = fields.pop("target", "") or fields.pop("dst", "") or fields.pop("destination", "")
    src = fields.pop("source", "") or fields.pop("src", "")
    ident = fields.pop("id", "")
    rw = fields.pop("rw", "") in ("true", "1") or fields.pop("readwrite", "") in ("true", "1")
    ro = fields.pop("ro", "") in ("true", "1") or fields.pop("readonly", "") in ("true", "1")
    if mtype == "secret":
        if not ident and not target:
            raise ParseError(f"{where(inst, file)}secret mount needs an id or a target")
        ident = ident or posixpath.basename(target)
        target = target or ("" if fields.get("env") else f"/run/secrets/{ident}")
    elif mtype == "ssh":
        raise ParseError(f"{where(inst, file)}RUN --mount=type=ssh is not supported by pallet")
    elif not target:
        raise ParseError(f"{where(inst, file)}mount type={mtype} needs a target")
    if target and not target.startswith("/"):
        raise ParseError(f"{where(inst, file)}mount target must be absolute: {target}")

    def num(name: str, base: int = 10) -> int | None:
        v = fields.pop(name, "")
        if not v:
            return None
        try:
            return int(v, base)
        except ValueError:
            raise ParseError(f"{where(inst, file)}invalid {name} {v!r} in --mount") from None

    mode = num("mode", 8)
    uid = num("uid")
    gid = num("gid")
    size = num("size") or 0
    m = RunMount(
        type=mtype,
        target=target,
        source=src,
        from_=fields.pop("from", ""),
        id=ident or (target if mtype == "cache" else ""),
        readonly=(not rw) if mtype == "bind" else ro,
        required=fields.pop("required", "") in ("true", "1"),
        mode=mode,
        uid=uid,
        gid=gid,
        sharing=fields.pop("sharing", "shared"),
        size=size,
        env=fields.pop("env", ""),
    )
    if m.sharing not in ("shared", "private", "locked"):
        raise ParseError(f"{where(inst, file)}invalid sharing {m.sharing!r}")
    if fields:
        raise ParseError(f"{where(inst, file)}unknown --mount option {next(iter(fields))!r}")
    return m
