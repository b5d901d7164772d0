"""Builders for scan tests: layer tars, ``docker save`` archives, dpkg stanzas and
OSV records, all made in memory (no image store, no network)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import zipfile
from collections.abc import Iterable
from typing import Any

DEBIAN_OS_RELEASE = (b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
                     b'VERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n')


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_tar(files: dict[str, bytes], whiteouts: Iterable[str] = (),
              symlinks: dict[str, str] | None = None, gnu: bool = False,
              executables: Iterable[str] = ()) -> bytes:
    """A layer: regular files (mode 0755 for ``executables``), ``.wh.`` entries for
    ``whiteouts``, symlinks."""
    buf = io.BytesIO()
    fmt = tarfile.GNU_FORMAT if gnu else tarfile.PAX_FORMAT
    exe = set(executables)
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o755 if name in exe else 0o644
            tf.addfile(ti, io.BytesIO(data))
        for gone in whiteouts:
            parent, _, base = gone.rpartition("/")
            ti = tarfile.TarInfo(f"{parent}/.wh.{base}" if parent else f".wh.{base}")
            tf.addfile(ti, io.BytesIO(b""))
        for name, target in (symlinks or {}).items():
            ti = tarfile.TarInfo(name)
            ti.type = tarfile.SYMTYPE
            ti.linkname = target
            tf.addfile(ti)
    return buf.getvalue()


def dpkg_stanza(name: str, version: str, source: str = "", arch: str = "amd64") -> str:
    src = f"Source: {source}\n" if source else ""
    return (f"Package: {name}\nStatus: install ok installed\nPriority: optional\n"
            f"Architecture: {arch}\n{src}Version: {version}\nDescription: {name}\n"
            f" more text\n\n")


def image_config(diff_ids: list[str], created_by: list[str]) -> bytes:
    history = [{"created": "2024-01-01T00:00:00Z", "created_by": c} for c in created_by]
    doc = {"architecture": "amd64", "os": "linux", "config": {},
           "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": history}
    return json.dumps(doc).encode()


def save_archive(layers: list[bytes], created_by: list[str] | None = None,
                 tag: str = "scanme:latest", oci_only: bool = False) -> bytes:
    """A docker-save archive (docker-archive manifest.json plus OCI index.json)."""
    diff_ids = [sha(x) for x in layers]
    config = image_config(diff_ids, created_by or [f"RUN step {i}" for i in range(len(layers))])
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d,
                    "size": len(x)} for d, x in zip(diff_ids, layers, strict=True)],
    }).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(manifest),
         "size": len(manifest)}]}).encode()
    docker = json.dumps([{"Config": _blob(sha(config)), "RepoTags": [tag],
                          "Layers": [_blob(d) for d in diff_ids]}]).encode()
    members = [(_blob(sha(config)), config), (_blob(sha(manifest)), manifest),
               *((_blob(d), x) for d, x in zip(diff_ids, layers, strict=True)),
               ("index.json", index)]
    if not oci_only:
        members.append(("manifest.json", docker))
    return tar_of(members)


def tar_of(members: Iterable[tuple[str, bytes]]) -> bytes:
    """A tar of regular files, in the order given."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def _blob(digest: str) -> str:
    return "blobs/sha256/" + digest.removeprefix("sha256:")


def osv_record(vid: str, ecosystem: str, name: str, fixed: str | None,
               introduced: str = "0", severity: str = "",
               cvss: str = "", modified: str = "2026-12-01T00:00:00Z") -> dict[str, Any]:
    events: list[dict[str, str]] = [{"introduced": introduced}]
    if fixed:
        events.append({"fixed": fixed})
    rec: dict[str, Any] = {
        "schema_version": "1.6.0", "id": vid, "modified": modified,
        "summary": f"{name} is vulnerable", "aliases": [],
        "affected": [{"package": {"ecosystem": ecosystem, "name": name},
                      "ranges": [{"type": "ECOSYSTEM", "events": events}]}],
    }
    if severity:
        rec["database_specific"] = {"severity": severity}
    if cvss:
        rec["severity"] = [{"type": "CVSS_V3", "score": cvss}]
    return rec


def osv_zip(records: list[dict[str, Any]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for rec in records:
            z.writestr(f"{rec['id']}.json", json.dumps(rec))
    return buf.getvalue()


def go_binary(go_version: str, modinfo: str, pad: int = 600 << 10) -> bytes:
    """A minimal ELF64 file with a Go 1.18+ ``.go.buildinfo`` section (inline strings)."""
    import struct

    def uvarint(n: int) -> bytes:
        out = b""
        while True:
            byte, n = n & 0x7F, n >> 7
            out += bytes([byte | (0x80 if n else 0)])
            if not n:
                return out

    sentinel = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6"
    mods = sentinel + modinfo.encode() + b"\n" + sentinel
    info = (b"\xff Go buildinf:" + bytes([8, 2]) + b"\0" * 16 + uvarint(len(go_version))
            + go_version.encode() + uvarint(len(mods)) + mods)
    names = b"\0.shstrtab\0.go.buildinfo\0"
    body = b"\0" * pad  # text the scanner must not need to read
    info_off = 64 + len(body)
    names_off = info_off + len(info)
    shoff = names_off + len(names)
    header = (b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
              + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0, 0, shoff, 0, 64, 0, 0, 64, 3, 1))
    sections = (b"\0" * 64
                + struct.pack("<IIQQQQIIQQ", 1, 3, 0, 0, names_off, len(names), 0, 0, 1, 0)
                + struct.pack("<IIQQQQIIQQ", 11, 1, 3, 0, info_off, len(info), 0, 0, 16, 0))
    return header + body + info + names + sections
