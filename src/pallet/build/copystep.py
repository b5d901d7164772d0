"""COPY and ADD: files from the context, a stage, an image, a heredoc or a URL.

Done host side: the step's cache key covers the sources' content digests; on a
miss the files are copied into a writable snapshot of the stage (``--chown``
resolved against the stage's own passwd/group), which becomes the step's layer.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pallet.build.cache import step_key
from pallet.build.context import Source, find_sources
from pallet.build.copy import (
    Owner,
    copy_sources,
    dest_path,
    extract_archive,
    is_archive,
    write_file,
)
from pallet.build.rootfs import image_view, writable
from pallet.build.runstep import ONLY_HEREDOC
from pallet.build.stageimage import StageState, cache_hit, commit
from pallet.dockerfile.parser import Instruction, ParseError
from pallet.dockerfile.words import expand
from pallet.errors import InvalidArgument
from pallet.images.commit import commit_layer
from pallet.runtime.users import parse_group, resolve_user
from pallet.system.securejoin import read_inside, secure_join

if TYPE_CHECKING:
    from pallet.build.executor import _Build


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
        from_image = b.from_ref(from_ref, inst)
        parts.append(from_image[0])
    hd_data: dict[str, bytes] = {}
    local: list[str] = []  # sources from the build context
    for s in srcs:
        m = ONLY_HEREDOC.match(s)
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
    # a URL without --checksum is fetched first and keyed by its content, as the classic
    # builder does (a changed file reruns the step); with one, the checksum is the key
    fetched: dict[str, Path] = {}
    try:
        for s in srcs:
            if s in hd_data:
                parts.append(hashlib.sha256(hd_data[s]).hexdigest())
            elif _is_url(s):
                if not checksum:
                    fetched[s], digest = await asyncio.to_thread(_download, s, "", b.private)
                parts.append([s, checksum or digest])
            elif s in from_context:
                parts.append(from_context[s][1])
        key = step_key(st.image_id, *parts)
        shown_flags = " ".join(f for f in inst.flags if not f.startswith("--checksum"))
        created_by = (f"{cmd} {shown_flags + ' ' if shown_flags else ''}{' '.join(words)}"
                      " # buildkit")
        if await cache_hit(b, st, key):
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
                            tmp = fetched.get(s)
                            if tmp is None:
                                tmp, _ = _download(s, checksum, b.private)
                                fetched[s] = tmp
                            _place_download(s, tmp, root, dest, workdir, owner, chmod)
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
        await commit(b, st, key, created_by, empty=layer is None, layer=layer)
        await b.out(f" ---> {st.short}\n")
    finally:
        for tmp in fetched.values():
            tmp.unlink(missing_ok=True)


def _download(url: str, checksum: str, private: Path) -> tuple[Path, str]:
    """ADD <url>: fetch to a private file; verify ``--checksum=sha256:...`` if given.

    Returns the file and its ``sha256:`` digest.
    """
    tmp = private / f"download-{hashlib.sha256(url.encode()).hexdigest()[:16]}"
    h = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=60) as resp, open(tmp, "wb") as out:
            while chunk := resp.read(1 << 20):
                h.update(chunk)
                out.write(chunk)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise InvalidArgument(f"ADD {url}: download failed: {e}") from None
    digest = f"sha256:{h.hexdigest()}"
    if checksum and checksum != digest:
        tmp.unlink(missing_ok=True)
        raise InvalidArgument(f"ADD {url}: checksum mismatch: expected {checksum}, got {digest}")
    return tmp, digest


def _place_download(url: str, tmp: Path, root: Path, dest: str, workdir: str, owner: Owner,
                    chmod: int | None) -> None:
    """Copy a fetched file into place (no unpacking), named after the URL's path."""
    name = Path(urllib.parse.urlparse(url).path).name or "index.html"
    target = dest_path(dest, workdir)
    if not target.endswith("/") and not os.path.isdir(secure_join(root, target)):
        final_dest = target
    else:
        final_dest = target.rstrip("/") + "/" + name
    os.chmod(tmp, chmod if chmod is not None else 0o600)
    copy_sources(root, [Source(tmp, name, False)], final_dest, workdir, owner, chmod, "ADD")
