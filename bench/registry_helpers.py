"""The registries of bench/run-registry: R1 (pulled by all) and a fresh empty one per push run,
a manifest's layer list, and the gzip -6 copy of an image uploaded through the registry API.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import urllib.request
from pathlib import Path

from pallet.testing.registry import RegistryServer

GZIP_OF = {
    "application/vnd.oci.image.layer.v1.tar": "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.docker.image.rootfs.diff.tar":
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
}
ACCEPT = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])


class Registries:
    """R1 (pallet's push, pulled by all) and fresh empty registries for each push run."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.all: list[RegistryServer] = []

    def new(self, port: int | None = None) -> RegistryServer:
        reg = RegistryServer(self.base / f"reg{len(self.all)}")
        if port is not None:
            reg.port, reg.host = port, f"127.0.0.1:{port}"
        self.all.append(reg)
        reg.start()
        return reg

    def close(self) -> None:
        for reg in self.all:
            reg.close()


def port_5000_free() -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", 5000))
        except OSError:
            return False
    return True


def layers(reg: RegistryServer, repo: str, tag: str) -> list[tuple[str, int]]:
    req = urllib.request.Request(f"http://{reg.host}/v2/{repo}/manifests/{tag}",
                                 headers={"Accept": ACCEPT})
    with urllib.request.urlopen(req, timeout=30) as resp:
        doc = json.load(resp)
    return [(str(x["digest"]), int(x["size"])) for x in doc["layers"]]


def _http(method: str, url: str, data: bytes | None = None,
          headers: dict[str, str] | None = None) -> tuple[dict[str, str], bytes]:
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=120) as resp:
        return dict(resp.headers), resp.read()


def upload_gzip_copy(reg: RegistryServer, repo: str, src_tag: str, dst_tag: str) -> None:
    """Re-upload SRC_TAG with every uncompressed layer gzipped (level 6) as DST_TAG."""
    base = f"http://{reg.host}/v2/{repo}"
    _, raw = _http("GET", f"{base}/manifests/{src_tag}", headers={"Accept": ACCEPT})
    doc = json.loads(raw)
    new_layers = []
    for layer in doc["layers"]:
        blob = reg.blob_path(layer["digest"]).read_bytes()
        mtype = str(layer["mediaType"])
        if not blob.startswith(b"\x1f\x8b"):
            blob = gzip.compress(blob, compresslevel=6, mtime=0)
            mtype = (GZIP_OF.get(mtype) or mtype + "+gzip")
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        hdrs, _ = _http("POST", f"{base}/blobs/uploads/")
        loc = hdrs["Location"]
        loc = loc if loc.startswith("http") else f"http://{reg.host}{loc}"
        sep = "&" if "?" in loc else "?"
        _http("PUT", f"{loc}{sep}digest={digest}", blob,
              {"Content-Type": "application/octet-stream"})
        new_layers.append({"mediaType": mtype, "digest": digest, "size": len(blob)})
    doc["layers"] = new_layers
    _http("PUT", f"{base}/manifests/{dst_tag}", json.dumps(doc).encode(),
          {"Content-Type": str(doc.get("mediaType")
                               or "application/vnd.oci.image.manifest.v1+json")})
