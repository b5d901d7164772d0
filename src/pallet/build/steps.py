"""The two steps that make layers: RUN (in a container) and COPY/ADD (host side)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import shutil
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pallet.build.context import Source, clean_source, find_sources
from pallet.build.copy import (
    Owner,
    copy_sources,
    dest_path,
    extract_archive,
    is_archive,
    write_file,
)
from pallet.build.instructions import PROXY_ARGS, RunMount, command, parse_mount, set_env
from pallet.build.parser import Instruction, ParseError
from pallet.build.rootfs import image_view, writable
from pallet.build.words import expand
from pallet.build.worker import RunSpec
from pallet.errors import InvalidArgument, NotFound
from pallet.images.commit import commit_layer
from pallet.runtime.users import parse_group, resolve_user
from pallet.system.securejoin import read_inside, secure_join

if TYPE_CHECKING:
    from pallet.build.executor import StageState, _Build

_ONLY_HEREDOC = re.compile(r"^<<-?(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1$")
TAIL_LINES = 8


# -- RUN -------------------------------------------------------------------------------------
def run_argv(inst: Instruction, shell: list[str]) -> tuple[list[str], str | None]:
    """The RUN command, and a heredoc script to mount and execute (``#!`` scripts)."""
    if inst.json is not None or not inst.heredocs:
        return command(inst, shell), None
    first = inst.heredocs[0]
    if _ONLY_HEREDOC.match(inst.args.strip()) and len(inst.heredocs) == 1:
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
    if network not in ("", "default", "none", "host", "bridge"):
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
        await b._commit(st, None, "", empty=True, record=False)
    mount_keys = await asyncio.to_thread(_mount_keys, b, st, inst, mounts) if mounts else []
    key_parts: list[Any] = [argv, args, mount_keys, network or "default"]
    if script is not None:
        key_parts.append(script)
    from pallet.build.cache import step_key

    key = step_key(st.image_id, "RUN", *key_parts)
    if await b.cache_hit(st, key):
        return
    with contextlib.ExitStack() as stack:
        oci = await asyncio.to_thread(_mounts, b, st, inst, mounts, stack)
        if script is not None:
            path = b.private / f"script-{len(os.listdir(b.private))}"
            path.write_text(script)
            path.chmod(0o755)
            oci.append({"destination": argv[0], "type": "bind", "source": str(path),
                        "options": ["rbind", "ro"]})
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
            tail.extend(text.splitlines())
            del tail[:-TAIL_LINES]
            await b.out(text)

        async def started(cid: str) -> None:
            await b.out(f" ---> Running in {cid[:12]}\n")

        spec = RunSpec(
            image_id=st.image_id, argv=argv, env=env, user=str(st.cfg.get("User") or ""),
            workdir=str(st.cfg.get("WorkingDir") or ""),
            network="none" if network == "none" else ("host" if network == "host" else ""),
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
                    raise InvalidArgument(msg)
                layer = await asyncio.to_thread(
                    commit_layer, b.images, res.snapshot_key, st.top_chain,
                    epoch=b.opts.epoch, mountpoints=res.mountpoints,
                )
        await b.out(f"Removing intermediate container {cid[:12]}\n")
    await b._commit(st, key, created_by, empty=layer is None, layer=layer)
    await b.out(f" ---> {st.short}\n")


def _mount_keys(b: _Build, st: StageState, inst: Instruction,
                mounts: list[RunMount]) -> list[Any]:
    """What of RUN --mount goes into the step's cache key (nothing is mounted yet)."""
    keys: list[Any] = []
    for m in mounts:
        if m.type in ("cache", "tmpfs"):
            keys.append(m.key())
        elif m.type == "secret":
            if m.id not in b.opts.secrets:
                if m.required:
                    raise NotFound(f"{b.file}:{inst.line}: secret {m.id} not found")
                continue
            if m.env:
                raise InvalidArgument(f"{b.file}:{inst.line}: secret env= is not supported")
            keys.append({"type": "secret", "id": m.id, "target": m.target})
        elif m.type == "bind":
            if m.from_:
                image_id, _ = _from_ref(b, st, m.from_, inst)
                keys.append({**m.key(), "image": image_id})
                continue
            src = b.context.find(m.source, "RUN --mount", glob=False)[0]
            keys.append({**m.key(), "content": b.context.digest(src)})
    return keys


def _mounts(b: _Build, st: StageState, inst: Instruction, mounts: list[RunMount],
            stack: contextlib.ExitStack) -> list[dict[str, Any]]:
    """OCI mounts for RUN --mount (after a cache miss: views are mounted, files copied)."""
    oci: list[dict[str, Any]] = []
    for m in mounts:
        if m.type == "cache":
            d = b.b.worker.state_dir / "cache-mounts" / hashlib.sha256(
                m.id.encode()).hexdigest()[:32]
            if not d.exists():
                d.mkdir(parents=True, mode=0o755)
                os.chown(d, m.uid or 0, m.gid or 0)
                os.chmod(d, m.mode if m.mode is not None else 0o755)
            opts = ["rbind", "ro" if m.readonly else "rw"]
            oci.append({"destination": m.target, "type": "bind", "source": str(d),
                        "options": opts})
        elif m.type == "secret":
            data = b.opts.secrets.get(m.id)
            if data is None:
                if m.required:
                    raise NotFound(f"{b.file}:{inst.line}: secret {m.id} not found")
                continue
            if m.env:
                raise InvalidArgument(f"{b.file}:{inst.line}: secret env= is not supported")
            sd = b.private / "secrets"
            sd.mkdir(mode=0o700, exist_ok=True)
            f = sd / hashlib.sha256(m.id.encode()).hexdigest()[:32]
            if not f.exists():
                fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
                try:
                    os.write(fd, data)
                finally:
                    os.close(fd)
            os.chown(f, m.uid or 0, m.gid or 0)
            os.chmod(f, m.mode if m.mode is not None else 0o400)
            oci.append({"destination": m.target, "type": "bind", "source": str(f),
                        "options": ["rbind", "ro", "nosuid", "nodev", "noexec"]})
        elif m.type == "tmpfs":
            opts = ["nosuid", "nodev"] + ([f"size={m.size}"] if m.size else [])
            oci.append({"destination": m.target, "type": "tmpfs", "source": "tmpfs",
                        "options": opts})
        elif m.type == "bind":
            if m.from_:
                _, chain = _from_ref(b, st, m.from_, inst)
                root = stack.enter_context(image_view(b.images, chain, b.b.worker.scratch_dir))
                src = secure_join(root, clean_source(m.source))
            else:
                src = b.context.path(m.source)
            if not src.exists():
                raise NotFound(f"{b.file}:{inst.line}: bind source {m.source or '.'} not found")
            if not m.readonly:  # writes are discarded: bind a private copy
                copy_dir = b.private / f"rw-{len(oci)}"
                if src.is_dir():
                    shutil.copytree(src, copy_dir, symlinks=True)
                else:
                    shutil.copy2(src, copy_dir)
                src = copy_dir
            opts = ["rbind", "ro" if m.readonly else "rw"]
            oci.append({"destination": m.target, "type": "bind", "source": str(src),
                        "options": opts})
    return oci


def _from_ref(b: _Build, st: StageState, ref: str, inst: Instruction) -> tuple[str, str | None]:
    """``--from`` value -> (image ID, top chain): a previous stage, else a local image."""
    named = b.stage_names.get(ref.lower())
    if named is None and ref.isdigit():
        named = int(ref)
    if named is not None:
        if named not in b.states:
            raise InvalidArgument(f"{b.file}:{inst.line}: --from={ref}: stage not built yet")
        other = b.states[named]
        return other.image_id or "scratch", other.top_chain
    try:
        img = b.images.resolve(ref)
    except NotFound:
        raise NotFound(f"{b.file}:{inst.line}: --from={ref}: no such stage or local image"
                       ) from None
    return img.id, img.layers[-1].chain_id if img.layers else None


# -- COPY / ADD --------------------------------------------------------------------------------
def _owner(root: Path, chown: str) -> Owner:
    if not chown:
        return Owner()
    user, _, group = chown.partition(":")
    passwd = read_inside(root, "/etc/passwd")
    groups = read_inside(root, "/etc/group")
    uid = resolve_user(user, passwd, groups).uid
    if group:
        gid = resolve_user(f"{user}:{group}", passwd, groups).gid
    elif user.isdigit():
        gid = uid
    else:
        match = [g.gid for g in parse_group(groups or "") if g.name == user]
        gid = match[0] if match else resolve_user(user, passwd, groups).gid
    return Owner(uid, gid)


def _is_url(src: str) -> bool:
    return src.startswith(("http://", "https://"))


async def copy_step(b: _Build, st: StageState, inst: Instruction) -> None:
    cmd = inst.cmd
    allowed = ("from", "chown", "chmod", "link", "parents", "exclude") if cmd == "COPY" else (
        "chown", "chmod", "link", "checksum", "keep-git-dir", "exclude")
    flags = inst.flag_map(allowed, f"{b.file}:")
    scope = st.scope(b.escape)
    words = [scope.word(x) for x in inst.json] if inst.json is not None else scope.words(inst.args)
    if len(words) < 2:
        raise ParseError(f"{b.file}:{inst.line}: {cmd} requires at least two arguments")
    srcs, dest = words[:-1], words[-1]
    chown = scope.word(flags.get("chown", [""])[-1])
    chmod_text = scope.word(flags.get("chmod", [""])[-1])
    try:
        chmod = int(chmod_text, 8) if chmod_text else None
    except ValueError:
        raise ParseError(f"{b.file}:{inst.line}: invalid --chmod={chmod_text}") from None
    checksum = flags.get("checksum", [""])[-1]
    from_ref = scope.word(flags.get("from", [""])[-1])
    docs = {h.name: h for h in inst.heredocs}
    mapping = scope.mapping()
    workdir = str(st.cfg.get("WorkingDir") or "/")
    # what the step depends on
    parts: list[Any] = [cmd, srcs, dest_path(dest, workdir), chown, chmod]
    from_image: tuple[str, str | None] | None = None
    if from_ref:
        from_image = _from_ref(b, st, from_ref, inst)
        parts.append(from_image[0])
    hd_data: dict[str, bytes] = {}
    local: list[str] = []  # sources from the build context
    for s in srcs:
        m = _ONLY_HEREDOC.match(s)
        if m and m.group(2) in docs:
            h = docs[m.group(2)]
            text = expand(h.content, mapping, b.escape) if h.expand else h.content
            hd_data[s] = text.encode()
        elif _is_url(s):
            if cmd != "ADD":
                raise ParseError(f"{b.file}:{inst.line}: COPY does not take URLs; use ADD")
        elif from_image is None:
            local.append(s)

    def context_sources() -> dict[str, tuple[list[Source], list[list[str]]]]:
        out = {}
        for s in local:
            found = b.context.find(s, cmd)
            out[s] = found, [[f.rel, b.context.digest(f)] for f in found]
        return out

    from_context = await asyncio.to_thread(context_sources) if local else {}
    for s in srcs:
        if s in hd_data:
            parts.append(hashlib.sha256(hd_data[s]).hexdigest())
        elif _is_url(s):
            parts.append([s, checksum])
        elif s in from_context:
            parts.append(from_context[s][1])
    from pallet.build.cache import step_key

    key = step_key(st.image_id, *parts)
    shown_flags = " ".join(f for f in inst.flags if not f.startswith("--checksum"))
    created_by = f"{cmd} {shown_flags + ' ' if shown_flags else ''}{' '.join(words)} # buildkit"
    if await b.cache_hit(st, key):
        return
    if len(srcs) > 1 and not dest_path(dest, workdir).endswith("/"):
        raise InvalidArgument(
            f"When using {cmd} with more than one source file, the destination must be a"
            " directory and end with a /")
    scratch = b.b.worker.scratch_dir

    def work() -> Any:
        with writable(b.images, st.top_chain, scratch) as (snap, root):
            owner = _owner(root, chown)
            with contextlib.ExitStack() as stack:
                view: Path | None = None
                if from_image is not None:
                    view = stack.enter_context(image_view(b.images, from_image[1], scratch))
                elif from_context:
                    b.context.root()  # the sources' host paths exist from here on
                for s in srcs:
                    if s in hd_data:
                        write_file(root, dest, workdir, hd_data[s], owner, chmod)
                    elif _is_url(s):
                        _add_url(s, checksum, root, dest, workdir, owner, chmod, b.private)
                    else:
                        found = (find_sources(view, s, cmd) if view is not None
                                 else from_context[s][0])
                        if cmd == "ADD" and from_image is None:
                            plain = [f for f in found if f.is_dir or not is_archive(f.host)]
                            for f in found:
                                if f not in plain:
                                    extract_archive(f.host, root, dest, workdir, owner)
                            found = plain
                        if found:
                            copy_sources(root, found, dest, workdir, owner, chmod, cmd)
        return commit_layer(b.images, snap, st.top_chain, epoch=b.opts.epoch)

    layer = await asyncio.to_thread(work)
    await b._commit(st, key, created_by, empty=layer is None, layer=layer)
    await b.out(f" ---> {st.short}\n")


def _add_url(url: str, checksum: str, root: Path, dest: str, workdir: str, owner: Owner,
             chmod: int | None, private: Path) -> None:
    """ADD <url>: download (no unpacking), verify ``--checksum=sha256:...``."""
    name = Path(urllib.parse.urlparse(url).path).name or "index.html"
    tmp = private / f"download-{hashlib.sha256(url.encode()).hexdigest()[:16]}"
    h = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=60) as resp, open(tmp, "wb") as out:
            while chunk := resp.read(1 << 20):
                h.update(chunk)
                out.write(chunk)
    except OSError as e:
        raise InvalidArgument(f"ADD {url}: download failed: {e}") from None
    if checksum and checksum != f"sha256:{h.hexdigest()}":
        raise InvalidArgument(
            f"ADD {url}: checksum mismatch: expected {checksum}, got sha256:{h.hexdigest()}")
    target = dest_path(dest, workdir)
    if not target.endswith("/") and not os.path.isdir(secure_join(root, target)):
        final_dest = target
    else:
        final_dest = target.rstrip("/") + "/" + name
    os.chmod(tmp, chmod if chmod is not None else 0o600)
    copy_sources(root, [Source(tmp, name, False)], final_dest, workdir, owner, chmod, "ADD")
    tmp.unlink()
