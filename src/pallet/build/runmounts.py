"""RUN --mount: what each mount adds to the step's cache key, and its OCI mounts.

Keys are computed before the cache lookup (nothing mounted); the mounts only on
a miss: cache directories under the worker's state dir, secrets and writable
bind copies in the build's private tmpfs, image views for ``from=``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from typing import TYPE_CHECKING, Any

from pallet.build.context import clean_source
from pallet.build.instructions import RunMount
from pallet.build.rootfs import image_view
from pallet.dockerfile.parser import Instruction
from pallet.errors import InvalidArgument, NotFound
from pallet.oci.runtimemount import OciMount
from pallet.system.securejoin import secure_join

if TYPE_CHECKING:
    from pallet.build.executor import _Build


def mount_keys(b: _Build, inst: Instruction, mounts: list[RunMount]) -> list[Any]:
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
                image_id, _ = b.from_ref(m.from_, inst)
                keys.append({**m.key(), "image": image_id})
                continue
            src = b.context.find(m.source, "RUN --mount", glob=False)[0]
            keys.append({**m.key(), "content": b.context.digest(src)})
    return keys


def oci_mounts(b: _Build, inst: Instruction, mounts: list[RunMount],
               stack: contextlib.ExitStack) -> list[OciMount]:
    """OCI mounts for RUN --mount (after a cache miss: views are mounted, files copied)."""
    oci: list[OciMount] = []
    for m in mounts:
        if m.type == "cache":
            d = b.b.worker.state_dir / "cache-mounts" / hashlib.sha256(
                m.id.encode()).hexdigest()[:32]
            if not d.exists():
                d.mkdir(parents=True, mode=0o755)
                os.chown(d, m.uid or 0, m.gid or 0)
                os.chmod(d, m.mode if m.mode is not None else 0o755)
            opts = ["rbind", "ro" if m.readonly else "rw"]
            oci.append(OciMount(destination=m.target, type="bind", source=str(d), options=opts))
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
            oci.append(OciMount(destination=m.target, type="bind", source=str(f),
                                options=["rbind", "ro", "nosuid", "nodev", "noexec"]))
        elif m.type == "tmpfs":
            opts = ["nosuid", "nodev"] + ([f"size={m.size}"] if m.size else [])
            oci.append(OciMount(destination=m.target, type="tmpfs", source="tmpfs",
                                options=opts))
        elif m.type == "bind":
            if m.from_:
                _, chain = b.from_ref(m.from_, inst)
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
            oci.append(OciMount(destination=m.target, type="bind", source=str(src),
                                options=opts))
    return oci

