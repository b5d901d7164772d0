"""The scan's typed values: what a layer contributes, the inventory, the findings.

Everything here is a msgspec Struct so caches (msgpack) and the API (JSON) carry
the same shapes the CLI renders.
"""

from __future__ import annotations

import msgspec


class LayerFiles(msgspec.Struct, frozen=True):
    """What one layer says about the files scanning reads (cached by diff_id)."""

    diff_id: str
    files: dict[str, bytes] = {}  # path -> content, for the paths scanning reads
    removed: list[str] = []  # whiteouts: paths deleted from the layers below
    opaque: list[str] = []  # directories whose lower contents this layer hides
    rpmdb: bool = False  # an RPM database was seen (not read: see inventory)


class Package(msgspec.Struct, frozen=True):
    name: str
    version: str
    type: str  # purl type: deb, apk, pypi, npm
    purl: str
    source: str = ""  # source package (deb Source, apk origin)
    source_version: str = ""
    arch: str = ""
    licenses: list[str] = []
    path: str = ""  # the file it was read from
    layer: str = ""  # diff_id of the layer that added this version
    created_by: str = ""  # the image history instruction of that layer


class OSInfo(msgspec.Struct, frozen=True):
    id: str = ""  # os-release ID: debian, alpine, ubuntu
    version_id: str = ""
    pretty_name: str = ""
    version_codename: str = ""


class LayerInfo(msgspec.Struct, frozen=True):
    diff_id: str
    created_by: str = ""


class Inventory(msgspec.Struct, frozen=True):
    image: str  # the name asked for
    image_id: str
    os: OSInfo
    layers: list[LayerInfo]
    packages: list[Package]
    warnings: list[str] = []


class Finding(msgspec.Struct, frozen=True):
    id: str
    package: str
    installed: str
    fixed: str  # "" when no fixed version is known
    severity: str  # CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN
    purl: str
    layer: str
    summary: str = ""
    aliases: list[str] = []
    ecosystem: str = ""
    score: float | None = None


class DBStatus(msgspec.Struct, frozen=True):
    path: str
    sources: list[SourceStatus]
    records: int
    imported_at: str  # RFC 3339, the newest import
    modified: str  # the newest record's "modified": how fresh the data is


class SourceStatus(msgspec.Struct, frozen=True):
    name: str
    records: int
    imported_at: str
    origin: str


class Report(msgspec.Struct, frozen=True):
    inventory: Inventory
    findings: list[Finding]
    db: DBStatus
