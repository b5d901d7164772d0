"""RUN: the command (shell, exec or heredoc form) run in a container, its layer committed.

The step's cache key covers the expanded command, the build args it sees, its
``--mount`` keys and network; on a miss the worker runs it and its snapshot
becomes the step's layer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from typing import TYPE_CHECKING, Any

from pallet.build.cache import step_key
from pallet.build.instructions import PROXY_ARGS, command, parse_mount, set_env
from pallet.build.runmounts import mount_keys, oci_mounts
from pallet.build.stageimage import StageState, cache_hit, commit
from pallet.build.worker import RunSpec
from pallet.dockerfile.parser import Instruction, ParseError
from pallet.errors import StepFailed
from pallet.images.commit import commit_layer
from pallet.oci.runtimemount import OciMount

if TYPE_CHECKING:
    from pallet.build.executor import _Build

ONLY_HEREDOC = re.compile(r"^<<-?(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1$")
"""A word that is only a heredoc reference (``<<EOF``, ``<<-'EOF'``); group 2 is its name."""
TAIL_LINES = 8


def run_argv(inst: Instruction, shell: list[str]) -> tuple[list[str], str | None]:
    """The RUN command, and a heredoc script to mount and execute (``#!`` scripts)."""
    if inst.json is not None or not inst.heredocs:
        return command(inst, shell), None
    first = inst.heredocs[0]
    if ONLY_HEREDOC.match(inst.args.strip()) and len(inst.heredocs) == 1:
        if first.content.startswith("#!"):
            return [f"/dev/pipes/{first.name}"], first.content
        return [*shell, first.content], None
    script = inst.args + "\n" + "".join(h.content + h.name + "\n" for h in inst.heredocs)
    return [*shell, script], None


async def run_step(b: _Build, st: StageState, inst: Instruction) -> None:
    flags = inst.flag_map(("mount", "network", "security"), f"{b.file}:")
    scope = st.scope(b.escape)
    mounts = [parse_mount(scope.word(m), b.file, inst) for m in flags.get("mount", [])]
    network = (flags.get("network") or [b.opts.network or ""])[-1]
    if flags.get("network") and network not in ("", "default", "none", "host", "bridge"):
        raise ParseError(f"{b.file}:{inst.line}: unsupported --network={network}")
    if "security" in flags and flags["security"][-1] != "sandbox":
        raise ParseError(f"{b.file}:{inst.line}: --security=insecure is not supported")
    argv, script = run_argv(inst, st.shell)
    env_keys = {e.partition("=")[0] for e in st.cfg.get("Env") or []}
    args = sorted((k, v) for k, v in st.args.items() if k not in env_keys)
    shown = [(k, v) for k, v in args if k not in PROXY_ARGS]
    prefix = f"|{len(shown)} " + " ".join(f"{k}={v}" for k, v in shown) + " " if shown else ""
    created_by = f"RUN {prefix}{' '.join(argv)} # buildkit"
    if st.image_id is None:
        await commit(b, st, None, "", empty=True, record=False)
    mkeys = await asyncio.to_thread(mount_keys, b, inst, mounts) if mounts else []
    key_parts: list[Any] = [argv, args, mkeys, network or "default"]
    if script is not None:
        key_parts.append(script)
    key = step_key(st.image_id, "RUN", *key_parts)
    if await cache_hit(b, st, key):
        return
    with contextlib.ExitStack() as stack:
        oci = await asyncio.to_thread(oci_mounts, b, inst, mounts, stack)
        if script is not None:
            path = b.private / f"script-{len(os.listdir(b.private))}"
            path.write_text(script)
            path.chmod(0o755)
            oci.append(OciMount(destination=argv[0], type="bind", source=str(path),
                                options=["rbind", "ro"]))
        env = list(st.cfg.get("Env") or [])
        for k, v in args:
            env = set_env(env, k, v)
        for k, given in b.opts.build_args.items():
            if k in PROXY_ARGS and given is not None and k not in env_keys:
                env = set_env(env, k, given)
        assert st.image_id is not None
        tail: list[str] = []

        async def output(data: bytes) -> None:
            text = data.decode("utf-8", errors="replace")
            tail.extend(text.replace("\x1b[91m", "").replace("\x1b[0m", "").splitlines())
            del tail[:-TAIL_LINES]
            await b.out(text)

        async def started(cid: str) -> None:
            await b.out(f" ---> Running in {cid[:12]}\n")

        spec = RunSpec(
            image_id=st.image_id, argv=argv, env=env, user=str(st.cfg.get("User") or ""),
            workdir=str(st.cfg.get("WorkingDir") or ""),
            network="" if network in ("default", "bridge") else network,
            extra_hosts=list(b.opts.extra_hosts),
            mounts=oci, labels={"pallet.build": "1"}, on_start=started,
        )
        locks = [b.b.locks.setdefault(f"cache:{m.id}", asyncio.Lock())
                 for m in mounts if m.type == "cache" and m.sharing == "locked"]
        async with contextlib.AsyncExitStack() as astack:
            for lock in locks:
                await astack.enter_async_context(lock)
            async with b.b.worker.run(spec, output) as res:
                cid = res.container_id
                if res.exit_code != 0:
                    msg = (f"The command '{' '.join(argv)}' returned a non-zero code:"
                           f" {res.exit_code}")
                    if b.opts.quiet and tail:
                        msg += "\n" + "\n".join(tail)
                    raise StepFailed(msg, res.exit_code)
                layer = await asyncio.to_thread(
                    commit_layer, b.images, res.snapshot_key, st.top_chain,
                    epoch=b.opts.epoch, mountpoints=res.mountpoints,
                )
        await b.out(f"Removing intermediate container {cid[:12]}\n")
    await commit(b, st, key, created_by, empty=layer is None, layer=layer)
    await b.out(f" ---> {st.short}\n")

