#!/usr/bin/env python3
"""Write a `docker save`-format archive of a busybox image built from the host's busybox-static.

Usage: busybox_archive.py OUT.tar [TAG]   (TAG defaults to busybox:latest)

No registry is involved: the single layer holds /bin/busybox, one symlink per applet and a
minimal /etc. The archive loads into Docker (`docker load`) and Podman (`podman load`).
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tarfile
import time
from pathlib import Path

_ETC = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
    "etc/group": "root:x:0:\nnobody:x:65534:\n",
    "etc/hosts": "127.0.0.1\tlocalhost\n",
}


def _find_busybox() -> Path:
    for cand in ("/bin/busybox", "/usr/bin/busybox"):
        if Path(cand).is_file():
            return Path(cand)
    raise SystemExit("busybox_archive: /bin/busybox not found (apt-get install busybox-static)")


def _layer_tar(busybox: Path, mtime: int) -> bytes:
    applets = subprocess.run(
        [str(busybox), "--list-full"], check=True, capture_output=True, text=True
    ).stdout.split()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:

        def add_dir(name: str, mode: int = 0o755) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, mtime
            tar.addfile(info)

        for d in ("bin", "etc", "root", "tmp", "usr", "usr/bin", "usr/sbin", "sbin", "var",
                  "var/www", "home", "proc", "sys", "dev"):
            add_dir(d, 0o1777 if d == "tmp" else 0o755)
        data = busybox.read_bytes()
        info = tarfile.TarInfo("bin/busybox")
        info.size, info.mode, info.mtime = len(data), 0o755, mtime
        tar.addfile(info, io.BytesIO(data))
        for path in sorted(set(applets)):
            rel = path.lstrip("/")
            if rel == "bin/busybox" or "/" not in rel:
                continue
            link = tarfile.TarInfo(rel)
            link.type, link.mode, link.mtime = tarfile.SYMTYPE, 0o777, mtime
            link.linkname = "/bin/busybox"
            tar.addfile(link)
        for name, text in _ETC.items():
            raw = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(raw), 0o644, mtime
            tar.addfile(info, io.BytesIO(raw))
    return buf.getvalue()


def build(out: Path, tag: str) -> None:
    """Write the archive for TAG to OUT."""
    busybox = _find_busybox()
    mtime = int(busybox.stat().st_mtime)
    layer = _layer_tar(busybox, mtime)
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mtime))
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": ["sh"],
        },
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": created, "created_by": "bench/busybox_archive.py"}],
    }
    config_raw = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    config_hex = hashlib.sha256(config_raw).hexdigest()
    layer_dir = diff_id.split(":", 1)[1]
    manifest = [{
        "Config": f"{config_hex}.json",
        "RepoTags": [tag],
        "Layers": [f"{layer_dir}/layer.tar"],
    }]
    tmp = out.with_suffix(out.suffix + ".tmp")
    with tarfile.open(tmp, "w") as tar:
        for name, raw in (
            (f"{config_hex}.json", config_raw),
            (f"{layer_dir}/layer.tar", layer),
            ("manifest.json", json.dumps(manifest).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(raw), 0o644, mtime
            tar.addfile(info, io.BytesIO(raw))
    tmp.replace(out)


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    build(Path(argv[1]), argv[2] if len(argv) == 3 else "busybox:latest")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
