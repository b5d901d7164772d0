"""The build driver: stages in order, one image per step, Docker's classic output.

It reads the Dockerfile, plans the stages, makes each stage's base and hands
every instruction to its step: ``runstep`` (RUN), ``copystep`` (COPY/ADD),
``buildargs`` (ARG) or ``metadata`` (config only); ``stageimage`` commits the
results and looks up the cache. Output messages are Engine API JSON-lines
objects (``{"stream": ...}``, ``{"aux": ...}``) handed to ``emit``; an error
raises (the route turns it into an error line).
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pallet.build.buildargs import declare_args, global_args, unused_args
from pallet.build.buildcontext import BuildContext
from pallet.build.cache import BuildCache
from pallet.build.copystep import copy_step
from pallet.build.instructions import DEFAULT_PATH
from pallet.build.metadata import apply_metadata
from pallet.build.runstep import run_step
from pallet.build.stageimage import StageState, commit, commit_cached, rfc3339
from pallet.build.stages import Plan, StagePlan, plan
from pallet.build.worker import BuildWorker
from pallet.dockerfile import parser as dfparser
from pallet.dockerfile.parser import Instruction
from pallet.errors import InvalidArgument, NotFound
from pallet.images.model import Image
from pallet.oci import manifest as om

Emit = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class BuildOptions:
    dockerfile: str = "Dockerfile"
    tags: list[str] = field(default_factory=list)
    build_args: dict[str, str | None] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    target: str = ""
    no_cache: bool = False
    quiet: bool = False
    network: str = ""  # "" (default), none, host, or a network's name
    extra_hosts: list[str] = field(default_factory=list)  # "host:ip" for RUN containers
    cache_from: list[str] | None = None  # when set, only these images' steps are cache hits
    secrets: dict[str, bytes] = field(default_factory=dict)
    platform: str = ""
    epoch: int | None = None  # SOURCE_DATE_EPOCH


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
        meta = global_args(df, self.opts.build_args, self.platform, self.file,
                           self.used_args)
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
        unused = unused_args(self.opts.build_args, self.used_args)
        if unused:
            await self.out(
                f"[Warning] One or more build-args [{' '.join(unused)}] were not consumed\n"
            )
        if final.image_id is None:
            final.image_id = await commit(self, final, None, "", empty=True, record=False)
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

    def from_ref(self, ref: str, inst: Instruction) -> tuple[str, str | None]:
        """``--from`` value -> (image ID, top chain): a previous stage, else a local image."""
        named = self.stage_names.get(ref.lower())
        if named is None and ref.isdigit():
            named = int(ref)
        if named is not None:
            if named not in self.states:
                raise InvalidArgument(f"{self.file}:{inst.line}: --from={ref}: stage not built yet")
            other = self.states[named]
            return other.image_id or "scratch", other.top_chain
        try:
            img = self.images.resolve(ref)
        except NotFound:
            raise NotFound(f"{self.file}:{inst.line}: --from={ref}: no such stage or local image"
                           ) from None
        return img.id, img.layers[-1].chain_id if img.layers else None

    # -- steps ------------------------------------------------------------------------
    async def _instruction(self, st: StageState, inst: Instruction, trigger: bool = False) -> None:
        cmd = inst.cmd
        if cmd == "ARG":
            declare_args(st, inst, self.escape, self.file, self.opts.build_args, self.meta,
                         self.used_args)
            await self.out(f" ---> {st.short}\n")
            return
        if cmd == "RUN":
            await run_step(self, st, inst)
            return
        if cmd in ("COPY", "ADD"):
            await copy_step(self, st, inst)
            return
        created_by = apply_metadata(st, inst, self.escape, self.file)  # config only: no I/O
        await commit_cached(self, st, created_by)


def _familiar_tag(name: str) -> str:
    from pallet.oci import reference

    try:
        return reference.familiar(str(reference.parse(name)))
    except InvalidArgument:
        return name
