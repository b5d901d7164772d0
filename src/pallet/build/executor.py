"""The build driver: stages in order, one image per step, Docker's classic output.

Each step's result is an image (as in Docker's classic builder), so the cache is
``step key -> image`` (see ``cache``) and ``history`` shows every step. Output
messages are Engine API JSON-lines objects (``{"stream": ...}``, ``{"aux": ...}``)
handed to ``emit``; an error raises (the route turns it into an error line).
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pallet.build import parser as dfparser
from pallet.build.buildcontext import BuildContext
from pallet.build.cache import BuildCache, step_key
from pallet.build.instructions import (
    DEFAULT_PATH,
    DEFAULT_SHELL,
    PROXY_ARGS,
    Scope,
    arg_decls,
    command,
    exposed_ports,
    healthcheck,
    key_values,
    set_env,
    shell_form,
    volumes,
    workdir,
)
from pallet.build.parser import Instruction, ParseError
from pallet.build.stages import Plan, StagePlan, plan
from pallet.build.worker import BuildWorker
from pallet.errors import InvalidArgument, NotFound
from pallet.images.commit import commit_image
from pallet.images.model import Image, Layer
from pallet.oci import manifest as om

Emit = Callable[[dict[str, Any]], Awaitable[None]]
BUILDKIT_COMMENT = "buildkit.dockerfile.v0"


@dataclass
class BuildOptions:
    dockerfile: str = "Dockerfile"
    tags: list[str] = field(default_factory=list)
    build_args: dict[str, str | None] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    target: str = ""
    no_cache: bool = False
    quiet: bool = False
    network: str = ""
    secrets: dict[str, bytes] = field(default_factory=dict)
    platform: str = ""
    epoch: int | None = None  # SOURCE_DATE_EPOCH


@dataclass
class StageState:
    """The image a stage has built so far, and its expansion scope."""

    image_id: str | None
    config: dict[str, Any]  # the whole image config document
    layers: list[Layer]
    args: dict[str, str] = field(default_factory=dict)
    cmd_set: bool = False

    @property
    def cfg(self) -> dict[str, Any]:
        c = self.config.setdefault("config", {})
        assert isinstance(c, dict)
        return c

    @property
    def top_chain(self) -> str | None:
        return self.layers[-1].chain_id if self.layers else None

    @property
    def shell(self) -> list[str]:
        return list(self.cfg.get("Shell") or DEFAULT_SHELL)

    def scope(self, escape: str) -> Scope:
        return Scope(list(self.cfg.get("Env") or []), dict(self.args), escape)

    @property
    def short(self) -> str:
        return (self.image_id or "scratch").removeprefix("sha256:")[:12]


def rfc3339(epoch: int | None) -> str:
    t = datetime.fromtimestamp(epoch, UTC) if epoch is not None else datetime.now(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond * 1000:09d}Z"


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


class BuildError(InvalidArgument):
    """A step failed; the message is what the client shows."""


class Builder:
    def __init__(self, worker: BuildWorker, cache: BuildCache) -> None:
        self.worker = worker
        self.images = worker.images
        self.cache = cache
        self.locks: dict[str, asyncio.Lock] = {}

    async def build(
        self, context: BuildContext, opts: BuildOptions, emit: Emit,
        private_dir: Callable[[], Path],
    ) -> str:
        """Build; returns the final image ID. ``private_dir`` makes (once, when a step
        needs one) a tmpfs directory for secrets and scripts."""
        run = _Build(self, context, opts, emit, private_dir)
        return await run.go()


class _Build:
    def __init__(
        self, b: Builder, context: BuildContext, opts: BuildOptions, emit: Emit,
        private_dir: Callable[[], Path],
    ) -> None:
        self.b = b
        self.images = b.images
        self.context = context
        self.opts = opts
        self._emit = emit
        self._private_dir = private_dir
        self._private: Path | None = None
        self.states: dict[int, StageState] = {}
        self.step = 0
        self.total = 0
        self.used_args: set[str] = set()
        self.file = Path(opts.dockerfile or "Dockerfile").name
        self.escape = "\\"
        self.platform = om.host_platform()
        self.stage_names: dict[str, int] = {}
        self.meta: dict[str, str] = {}

    @property
    def private(self) -> Path:
        """The build's tmpfs directory (secrets, scripts, private copies)."""
        if self._private is None:
            self._private = self._private_dir()
        return self._private

    async def out(self, text: str) -> None:
        if not self.opts.quiet:
            await self._emit({"stream": text})

    # -- top level ---------------------------------------------------------------------
    def _read_dockerfile(self) -> dfparser.Dockerfile:
        name = self.opts.dockerfile or "Dockerfile"
        data = self.context.read(name)
        if data is None:
            raise InvalidArgument(f"Cannot locate specified Dockerfile: {name}")
        self.context.drop_ignored(name)
        return dfparser.parse(data.decode("utf-8", errors="replace"), self.file)

    async def go(self) -> str:
        df = self._read_dockerfile()  # a small read from the indexed tar
        self.escape = df.escape
        meta = dict(predefined_args(self.platform))
        for inst in df.instructions:
            if inst.cmd == "FROM":
                break
            if inst.cmd == "ARG":
                for k, v in arg_decls(inst, Scope([], meta, df.escape), self.file):
                    given = self.opts.build_args.get(k)
                    if k in self.opts.build_args and given is not None:
                        meta[k] = given
                        self.used_args.add(k)
                    elif v is not None:
                        meta[k] = v
                    elif k in self.opts.build_args:
                        self.used_args.add(k)
        self.meta = meta
        p = plan(df, meta)
        self.stage_names = {s.name: s.index for s in p.stages if s.name}
        target = p.stages[-1]
        if self.opts.target:
            found = p.find(self.opts.target)
            if found is None or not found.name:
                raise InvalidArgument(f"failed to reach build target {self.opts.target} in"
                                      f" Dockerfile")
            target = found
        needed = p.needed(target)
        self.total = sum(1 + len(s.instructions) for s in needed) + (1 if self.opts.labels else 0)
        for stage in needed:
            await self._stage(p, stage)
        final = self.states[target.index]
        if self.opts.labels:
            await self._labels(final)
        unused = sorted(
            k for k in self.opts.build_args
            if k not in self.used_args and k not in PROXY_ARGS
        )
        if unused:
            await self.out(
                f"[Warning] One or more build-args [{' '.join(unused)}] were not consumed\n"
            )
        if final.image_id is None:
            final.image_id = await self._commit(final, None, "", empty=True, record=False)
        image_id = final.image_id
        await self._emit({"aux": {"ID": image_id}})
        if self.opts.quiet:
            await self._emit({"stream": image_id + "\n"})
        else:
            await self.out(f"Successfully built {image_id.removeprefix('sha256:')[:12]}\n")
        for t in self.opts.tags:
            await asyncio.to_thread(self.images.tag, image_id, t)
            await self.out(f"Successfully tagged {_familiar_tag(t)}\n")
        return image_id

    async def _labels(self, st: StageState) -> None:
        pairs = " ".join(f'"{k}"="{v}"' for k, v in sorted(self.opts.labels.items()))
        inst = Instruction("LABEL", 0, 0, f"LABEL {pairs}", args=pairs)
        self.step += 1
        await self.out(f"Step {self.step}/{self.total} : {inst.original}\n")
        await self._instruction(st, inst)

    # -- stages -----------------------------------------------------------------------
    async def _stage(self, p: Plan, stage: StagePlan) -> None:
        self.step += 1
        await self.out(f"Step {self.step}/{self.total} : {stage.from_inst.original}\n")
        st = await self._base(p, stage)
        self.states[stage.index] = st
        await self.out(f" ---> {st.short}\n")
        triggers = list(st.cfg.get("OnBuild") or [])
        if triggers:
            await self.out(f"# Executing {len(triggers)} build trigger"
                           f"{'s' if len(triggers) > 1 else ''}\n")
            st.cfg["OnBuild"] = None
            for text in triggers:
                inst = dfparser.parse_line(text, self.file, self.escape)
                await self._instruction(st, inst, trigger=True)
        for inst in stage.instructions:
            self.step += 1
            await self.out(f"Step {self.step}/{self.total} : {inst.original}\n")
            await self._instruction(st, inst)

    async def _base(self, p: Plan, stage: StagePlan) -> StageState:
        if stage.platform and stage.platform.split("/")[:2] != [
            self.platform["os"], self.platform["architecture"]
        ]:
            raise BuildError(f"{self.file}:{stage.from_inst.line}: platform {stage.platform}"
                             " is not the host's; pallet builds for the host platform only")
        dep = p.stage_named(stage.base, before=stage.index)
        if dep is not None:
            src = self.states[dep.index]
            return StageState(src.image_id, copy.deepcopy(src.config), list(src.layers))
        if stage.base.lower() == "scratch":
            config = om.image_config(created=rfc3339(self.opts.epoch), diff_ids=[],
                                     config={"Env": [DEFAULT_PATH]},
                                     architecture=self.platform["architecture"],
                                     os=self.platform["os"])
            return StageState(None, config, [])
        img = self._resolve_image(stage.base, stage.from_inst.line)  # indexed DB reads
        config = img.config  # parsed for this call: not shared
        cfg = config.setdefault("config", {})
        if not any(str(e).startswith("PATH=") for e in cfg.get("Env") or []):
            cfg["Env"] = [DEFAULT_PATH, *(cfg.get("Env") or [])]
        return StageState(img.id, config, list(img.layers))

    def _resolve_image(self, ref: str, line: int) -> Image:
        try:
            return self.images.resolve(ref)
        except NotFound:
            raise NotFound(
                f"{self.file}:{line}: pull access denied for {ref}: the image is not present"
                " locally and pallet build does not pull (use `pallet pull`, `pallet load` or"
                " `pallet image bootstrap`)"
            ) from None

    # -- steps ------------------------------------------------------------------------
    async def _instruction(self, st: StageState, inst: Instruction, trigger: bool = False) -> None:
        from pallet.build import steps

        cmd = inst.cmd
        if cmd == "ARG":
            await self._arg(st, inst)
            return
        if cmd == "RUN":
            await steps.run_step(self, st, inst)
            return
        if cmd in ("COPY", "ADD"):
            await steps.copy_step(self, st, inst)
            return
        created_by = self._metadata(st, inst)  # config only: no I/O
        await self._commit_cached(st, created_by)

    async def _arg(self, st: StageState, inst: Instruction) -> None:
        scope = st.scope(self.escape)
        for k, default in arg_decls(inst, scope, self.file):
            if k in self.opts.build_args:
                self.used_args.add(k)
                given = self.opts.build_args[k]
                value = given if given is not None else (default or self.meta.get(k))
            elif default is not None:
                value = default
            else:
                value = self.meta.get(k)
            if value is None:
                st.args.pop(k, None)
            else:
                st.args[k] = value
        await self.out(f" ---> {st.short}\n")

    def _metadata(self, st: StageState, inst: Instruction) -> str:
        """Apply a config-only instruction; returns its history ``created_by``."""
        cfg = st.cfg
        scope = st.scope(self.escape)
        cmd = inst.cmd
        if cmd == "ENV":
            env = list(cfg.get("Env") or [])
            pairs = key_values(inst, scope, self.file)
            for k, v in pairs:
                env = set_env(env, k, v)
            cfg["Env"] = env
            return "ENV " + " ".join(f"{k}={v}" for k, v in pairs)
        if cmd == "LABEL":
            labels = dict(cfg.get("Labels") or {})
            pairs = key_values(inst, scope, self.file)
            labels.update(pairs)
            cfg["Labels"] = labels
            return "LABEL " + " ".join(f"{k}={v}" for k, v in pairs)
        if cmd == "MAINTAINER":
            st.config["author"] = scope.word(inst.args)
            return f"MAINTAINER {st.config['author']}"
        if cmd == "EXPOSE":
            ports = dict(cfg.get("ExposedPorts") or {})
            new = exposed_ports(inst, scope, self.file)
            for p in new:
                ports[p] = {}
            cfg["ExposedPorts"] = ports
            return "EXPOSE map[" + " ".join(f"{p}:{{}}" for p in new) + "]"
        if cmd == "USER":
            cfg["User"] = scope.word(inst.args)
            if not cfg["User"]:
                raise ParseError(f"{self.file}:{inst.line}: USER requires an argument")
            return f"USER {cfg['User']}"
        if cmd == "WORKDIR":
            if not inst.args:
                raise ParseError(f"{self.file}:{inst.line}: WORKDIR requires exactly one argument")
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
            vols = dict(cfg.get("Volumes") or {})
            paths = volumes(inst, scope, self.file)
            for v in paths:
                vols[v] = {}
            cfg["Volumes"] = vols
            return f"VOLUME {_json(paths)}"
        if cmd == "STOPSIGNAL":
            cfg["StopSignal"] = scope.word(inst.args)
            return f"STOPSIGNAL {cfg['StopSignal']}"
        if cmd == "HEALTHCHECK":
            cfg["Healthcheck"] = healthcheck(inst, st.shell, self.file)
            return f"HEALTHCHECK {_json(cfg['Healthcheck'])}"
        if cmd == "SHELL":
            cfg["Shell"] = shell_form(inst, self.file)
            return f"SHELL {_json(cfg['Shell'])}"
        if cmd == "ONBUILD":
            cfg["OnBuild"] = [*(cfg.get("OnBuild") or []), inst.args]
            return f"ONBUILD {inst.args}"
        raise ParseError(f"{self.file}:{inst.line}: unknown instruction: {cmd}")

    # -- commits and cache -----------------------------------------------------------------
    async def _commit_cached(self, st: StageState, created_by: str,
                             key_extra: Any = None) -> None:
        """A config-only step: reuse a cached image or commit a new one."""
        key = step_key(st.image_id, "meta", created_by, key_extra, _cfg_key(st))
        if await self.cache_hit(st, key):
            return
        await self._commit(st, key, created_by, empty=True)
        await self.out(f" ---> {st.short}\n")

    async def cache_hit(self, st: StageState, key: str) -> bool:
        if self.opts.no_cache:
            return False
        hit = self._cached(key)  # two primary-key reads: cheaper than a thread hop
        if hit is None:
            return False
        st.image_id, st.config, st.layers = hit
        await self.out(f" ---> Using cache\n ---> {st.short}\n")
        return True

    def _cached(self, key: str) -> tuple[str, dict[str, Any], list[Layer]] | None:
        """The image cached under ``key`` (a freshly parsed config), if it still exists."""
        image_id = self.b.cache.get(key)
        if image_id is None:
            return None
        row = self.images.records.get(image_id)
        if row is None:
            return None
        config = json.loads(row.config_bytes)
        return row.id, config, list(row.layers)

    async def _commit(self, st: StageState, key: str | None, created_by: str, *,
                      empty: bool, layer: Layer | None = None, record: bool = True) -> str:
        """Publish the stage's config (+ ``layer``) as an image and remember it."""
        created = rfc3339(self.opts.epoch)
        parent = st.image_id
        doc = st.config
        doc["created"] = created
        doc.setdefault("architecture", self.platform["architecture"])
        doc.setdefault("os", self.platform["os"])
        if created_by:
            entry: dict[str, Any] = {"created": created, "created_by": created_by,
                                     "comment": BUILDKIT_COMMENT}
            if layer is None:
                entry["empty_layer"] = True
            doc["history"] = [*(doc.get("history") or []), entry]
        if layer is not None:
            st.layers = [*st.layers, layer]
        doc.pop("container", None)
        doc.pop("container_config", None)
        image_id = await asyncio.to_thread(commit_image, self.images, doc, st.layers)
        st.image_id = image_id
        if key is not None and record:
            self.b.cache.put(key, image_id, parent)
        return image_id


def _cfg_key(st: StageState) -> dict[str, Any]:
    return {"cmd_set": st.cmd_set}


def _json(value: Any) -> str:
    return json.dumps(value)


def _familiar_tag(name: str) -> str:
    from pallet.oci import reference

    try:
        return reference.familiar(str(reference.parse(name)))
    except InvalidArgument:
        return name
