"""Builders for image archives used by the image tests."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path


def layer_tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for n, data in files.items():
            ti = tarfile.TarInfo(n)
            ti.size = len(data)
            ti.mode = 0o755
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def docker_2010_archive(
    path: Path, layers: list[bytes], tags: list[str], cmd: list[str] | None = None
) -> str:
    """A ``docker save`` archive as Docker 20.10-24 write it; returns the image ID."""
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2023-05-19T20:19:24.435123497Z",
        "config": {"Cmd": cmd or ["sh"], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{sha(x)}" for x in layers]},
        "history": [
            {"created": "2023-05-19T20:19:24Z", "created_by": f"/bin/sh -c #{i}"}
            for i in range(len(layers))
        ],
    }
    cbytes = json.dumps(config).encode()
    cid = sha(cbytes)
    entries: list[tuple[str, bytes | None, str | None]] = []
    lpaths = []
    first_dir: dict[str, str] = {}
    for i, data in enumerate(layers):
        d = sha(f"v1-{i}".encode() + data)
        entries.append((f"{d}/", None, None))
        entries.append((f"{d}/VERSION", b"1.0", None))
        entries.append((f"{d}/json", json.dumps({"id": d}).encode(), None))
        if sha(data) in first_dir:  # Docker dedups identical layers with a symlink
            entries.append((f"{d}/layer.tar", None, f"../{first_dir[sha(data)]}/layer.tar"))
        else:
            first_dir[sha(data)] = d
            entries.append((f"{d}/layer.tar", data, None))
        lpaths.append(f"{d}/layer.tar")
    entries.append((f"{cid}.json", cbytes, None))
    manifest = [{"Config": f"{cid}.json", "RepoTags": tags or None, "Layers": lpaths}]
    entries.append(("manifest.json", json.dumps(manifest).encode(), None))
    with tarfile.open(path, "w") as tf:
        for name, data, link in entries:
            ti = tarfile.TarInfo(name.rstrip("/"))
            if link:
                ti.type, ti.linkname = tarfile.SYMTYPE, link
                tf.addfile(ti)
            elif data is None:
                ti.type = tarfile.DIRTYPE
                tf.addfile(ti)
            else:
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
    return f"sha256:{cid}"
