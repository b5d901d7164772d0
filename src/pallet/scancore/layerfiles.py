"""Which files of a layer scanning reads, and reading them out of a layer tar.

A layer is walked once, header by header; only package databases and manifests
(dpkg status, apk installed, Python ``METADATA``/``PKG-INFO``, npm
``package.json`` under ``node_modules``, ``os-release``) and the build
information of Go executables (kept under the binary's path, starting with
``gobuild.MAGIC``) are kept, with the layer's whiteouts so the layers can be
merged into the final filesystem later.
"""

from __future__ import annotations

import re
from typing import IO

from pallet.scancore import gobuild
from pallet.scancore.model import LayerFiles
from pallet.scancore.tarwalk import REGULAR, TarWalk

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
OS_RELEASE = ("etc/os-release", "usr/lib/os-release")
DPKG_STATUS = "var/lib/dpkg/status"
DPKG_STATUS_D = "var/lib/dpkg/status.d/"
APK_INSTALLED = "lib/apk/db/installed"
RPMDB = ("var/lib/rpm/rpmdb.sqlite", "var/lib/rpm/Packages", "var/lib/rpm/Packages.db",
         "usr/lib/sysimage/rpm/rpmdb.sqlite")
MAX_FILE = 32 << 20

_PYTHON = re.compile(r"(?:^|/)[^/]+\.(?:dist-info/METADATA|egg-info/PKG-INFO|egg-info)$")
_NPM = re.compile(r"(?:^|/)node_modules/(?:@[^/]+/)?[^/@][^/]*/package\.json$")


def wanted(path: str) -> bool:
    """Is ``path`` (a cleaned layer path) one of the files the inventory reads?"""
    if path in OS_RELEASE or path in (DPKG_STATUS, APK_INSTALLED):
        return True
    if path.startswith(DPKG_STATUS_D):
        return "/" not in path[len(DPKG_STATUS_D):] and not path.endswith(".md5sums")
    if path.endswith("package.json"):
        return _NPM.search(path) is not None
    if path.endswith(("METADATA", "PKG-INFO", ".egg-info")):
        return _PYTHON.search(path) is not None
    return False


def read_layer(stream: IO[bytes], diff_id: str) -> LayerFiles:
    """Walk an uncompressed layer tar and keep what :func:`wanted` names."""
    files: dict[str, bytes] = {}
    removed: list[str] = []
    opaque: list[str] = []
    rpmdb = False
    walk = TarWalk(stream)
    for m in walk:
        name = m.name
        base = name.rpartition("/")[2]
        if base.startswith(WHITEOUT):
            parent = name[: len(name) - len(base)].rstrip("/")
            if base == OPAQUE:
                opaque.append(parent)
            elif not base.startswith(WHITEOUT + WHITEOUT):
                victim = base[len(WHITEOUT):]
                removed.append(f"{parent}/{victim}" if parent else victim)
            continue
        if m.type not in REGULAR:
            continue
        if name in RPMDB:
            rpmdb = True
        elif m.size <= MAX_FILE and wanted(name):
            files[name] = walk.read(MAX_FILE)
        elif gobuild.MIN_SIZE <= m.size <= gobuild.MAX_SIZE and m.mode & 0o111:
            info = _go_binary(walk)
            if info is not None:
                files[name] = info
    return LayerFiles(diff_id, files, removed, opaque, rpmdb)


def _go_binary(walk: TarWalk) -> bytes | None:
    """The build information of the current member, if it is a Go executable."""
    f = walk.stream()
    if f.read(4) != gobuild.ELF:
        return None
    if f.seekable():
        f.seek(0)
        return gobuild.buildinfo(f)
    import io

    return gobuild.buildinfo(io.BytesIO(gobuild.ELF + f.read()))
