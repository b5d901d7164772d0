"""The inventory (SBOM) of an image: its layers merged into the final filesystem.

Layers apply bottom to top with their whiteouts; each package is attributed to
the layer that installed the version the image ends with (for dpkg and apk, the
first layer after which the database kept that version; for Python and npm, the
layer that wrote the manifest file), and to that layer's history instruction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pallet.scancore import gobuild, pkgdb
from pallet.scancore import layerfiles as lf
from pallet.scancore.model import Inventory, LayerFiles, LayerInfo, OSInfo, Package

View = dict[str, tuple[bytes, int]]  # path -> (content, layer index)
_DB_PATHS = (lf.DPKG_STATUS, lf.APK_INSTALLED)
_MANIFESTS = ("METADATA", "PKG-INFO", ".egg-info", "package.json")


def layer_infos(config: dict[str, Any]) -> list[LayerInfo]:
    """Each diff_id of an image config with the history instruction that made it."""
    diff_ids = [str(d) for d in (config.get("rootfs") or {}).get("diff_ids") or []]
    made = [str(h.get("created_by", "")) for h in config.get("history") or []
            if isinstance(h, dict) and not h.get("empty_layer")]
    if len(made) != len(diff_ids):
        made = [""] * len(diff_ids)
    return [LayerInfo(d, _short(c)) for d, c in zip(diff_ids, made, strict=True)]


def _short(created_by: str) -> str:
    """A history ``created_by`` as the Dockerfile line it came from.

    Classic builder: ``/bin/sh -c #(nop)  ENV A=b``, ``|2 A=b /bin/sh -c cmd`` (build
    args), ``/bin/sh -c cmd``; BuildKit: ``RUN /bin/sh -c cmd # buildkit``.
    """
    text = created_by.strip().removesuffix("# buildkit").strip()
    if text.startswith("|"):
        text = text.split(" /bin/sh -c ", 1)[-1] if " /bin/sh -c " in text else text
        text = "RUN " + text if not text.startswith("|") else text
    text = text.removeprefix("/bin/sh -c #(nop)").strip()
    if text.startswith("/bin/sh -c "):
        text = "RUN " + text[len("/bin/sh -c "):]
    if text.startswith("RUN /bin/sh -c "):
        text = "RUN " + text[len("RUN /bin/sh -c "):]
    return text


def _apply(view: View, layer: LayerFiles, index: int) -> None:
    for d in [*layer.opaque, *layer.removed]:
        prefix = d + "/"
        for p in [p for p in view if p.startswith(prefix)]:
            del view[p]
    for d in layer.removed:
        view.pop(d, None)
    for p, content in layer.files.items():
        view[p] = (content, index)


def _db_packages(view: View) -> dict[tuple[str, str], pkgdb.Found]:
    found: list[pkgdb.Found] = []
    for path, (content, _) in view.items():
        text = content.decode("utf-8", "replace")
        if path == lf.DPKG_STATUS:
            found += pkgdb.dpkg(text)
        elif path.startswith(lf.DPKG_STATUS_D):
            found += pkgdb.dpkg(text, need_status=False)
        elif path == lf.APK_INSTALLED:
            found += pkgdb.apk(text)
    return {(f.type, f.name + ":" + f.arch): f for f in found}


def _file_packages(path: str, content: bytes) -> list[pkgdb.Found]:
    if content.startswith(gobuild.MAGIC):
        return gobuild.packages(content)
    text = content.decode("utf-8", "replace")
    if path.endswith("package.json"):
        return pkgdb.npm_package(text)
    return pkgdb.python_metadata(text)


def build(image: str, image_id: str, infos: Sequence[LayerInfo],
          layers: Sequence[LayerFiles]) -> Inventory:
    """Merge ``layers`` (bottom first) and list every package of the final filesystem."""
    view: View = {}
    since: dict[tuple[str, str], tuple[str, int]] = {}  # key -> (version, layer index)
    rpm = False
    for i, layer in enumerate(layers):
        _apply(view, layer, i)
        rpm = rpm or layer.rpmdb
        touched = any(p in _DB_PATHS or p.startswith(lf.DPKG_STATUS_D) for p in layer.files)
        if touched or layer.removed or layer.opaque:
            current = _db_packages(view)
            since = {k: (f.version, since[k][1] if k in since and since[k][0] == f.version else i)
                     for k, f in current.items()}
    os_info = _os(view)
    packages: list[Package] = []
    for key, f in _db_packages(view).items():
        packages.append(_package(f, _db_path(f), since.get(key, (f.version, 0))[1], infos, os_info))
    for path, (content, index) in view.items():
        if path.endswith(_MANIFESTS) or content.startswith(gobuild.MAGIC):
            packages += [_package(f, path, index, infos, os_info)
                         for f in _file_packages(path, content)]
    packages.sort(key=lambda p: (p.type, p.name, p.version, p.path))
    warnings = []
    if rpm:
        warnings.append("an RPM database is present but not read: no well-kept Python reader "
                        "of rpmdb exists; RPM packages are missing from this inventory")
    return Inventory(image, image_id, os_info, list(infos), packages, warnings)


def _db_path(f: pkgdb.Found) -> str:
    return lf.DPKG_STATUS if f.type == "deb" else lf.APK_INSTALLED


def _os(view: View) -> OSInfo:
    for path in lf.OS_RELEASE:
        if path in view:
            kv = pkgdb.os_release(view[path][0].decode("utf-8", "replace"))
            return OSInfo(kv.get("ID", ""), kv.get("VERSION_ID", ""), kv.get("PRETTY_NAME", ""),
                          kv.get("VERSION_CODENAME", ""))
    return OSInfo()


def _package(f: pkgdb.Found, path: str, index: int, infos: Sequence[LayerInfo],
             os_info: OSInfo) -> Package:
    layer = infos[index] if index < len(infos) else LayerInfo("")
    return Package(f.name, f.version, f.type, purl(f, os_info), f.source, f.source_version,
                   f.arch, f.licenses, path, layer.diff_id, layer.created_by)


def purl(f: pkgdb.Found, os_info: OSInfo) -> str:
    """The package URL (purl-spec) of a found package."""
    from packageurl import PackageURL  # 25 ms to import: only when an inventory is built

    qualifiers: dict[str, str] = {}
    namespace: str | None = None
    name = f.name
    if f.type in ("deb", "apk"):
        namespace = os_info.id or ("debian" if f.type == "deb" else "alpine")
        if f.arch:
            qualifiers["arch"] = f.arch
        if os_info.id and os_info.version_id:
            qualifiers["distro"] = f"{os_info.id}-{os_info.version_id}"
        if f.source and f.source != f.name:
            qualifiers["upstream"] = f.source
    elif f.type == "pypi":
        name = normalize_pypi(f.name)
    elif f.type in ("npm", "golang"):
        scope, _, name = f.name.rpartition("/")
        namespace = scope or None
    return str(PackageURL(type=f.type, namespace=namespace, name=name, version=f.version,
                          qualifiers=qualifiers or None).to_string())


def normalize_pypi(name: str) -> str:
    """PEP 503 normalisation (what OSV's PyPI records and purls use)."""
    import re

    return re.sub(r"[-_.]+", "-", name).lower()
