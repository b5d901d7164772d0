"""SPDX 2.3 JSON, written by spdx-tools: the image as the described
package, which CONTAINS one package per inventory entry (purl as its external
reference, layer and instruction in the package comment)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from pallet import __version__
from pallet.scancore.model import Inventory


def _spdx_id(text: str) -> str:
    return "SPDXRef-" + re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-")


def render(inv: Inventory, now: datetime | None = None) -> str:
    from spdx_tools.spdx.model.actor import Actor, ActorType
    from spdx_tools.spdx.model.document import CreationInfo, Document
    from spdx_tools.spdx.model.package import (
        ExternalPackageRef,
        ExternalPackageRefCategory,
        Package,
        PackagePurpose,
    )
    from spdx_tools.spdx.model.relationship import Relationship, RelationshipType
    from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
    from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

    created = (now or datetime.now(UTC)).replace(microsecond=0, tzinfo=None)
    ident = (inv.image_id or inv.image).removeprefix("sha256:")
    info = CreationInfo(
        spdx_version="SPDX-2.3", spdx_id="SPDXRef-DOCUMENT", name=inv.image,
        document_namespace=f"https://pallet.invalid/spdx/{ident}-{created:%Y%m%dT%H%M%S}",
        creators=[Actor(ActorType.TOOL, f"pallet-{__version__}")], created=created)
    image = Package(spdx_id="SPDXRef-Image", name=inv.image,
                    download_location=SpdxNoAssertion(), version=inv.image_id or None,
                    files_analyzed=False, primary_package_purpose=PackagePurpose.CONTAINER)
    packages = [image]
    rels = [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, image.spdx_id)]
    seen: set[str] = set()
    for n, p in enumerate(inv.packages):
        sid = _spdx_id(f"{p.type}-{p.name}-{p.version}-{n}")
        if p.purl in seen:
            continue
        seen.add(p.purl)
        packages.append(Package(
            spdx_id=sid, name=p.name, version=p.version, download_location=SpdxNoAssertion(),
            files_analyzed=False, source_info=f"source package {p.source}" if p.source else None,
            comment=f"layer {p.layer}: {p.created_by}" if p.layer else None,
            external_references=[ExternalPackageRef(
                ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", p.purl)],
            primary_package_purpose=PackagePurpose.LIBRARY))
        rels.append(Relationship(image.spdx_id, RelationshipType.CONTAINS, sid))
    doc = Document(creation_info=info, packages=packages, relationships=rels)
    out = io.StringIO()
    # spdx-tools' validator is quadratic in packages (8 of 10 s for 800): the tests
    # validate what this writes; here the document is written as built
    write_document_to_stream(doc, out, validate=False)
    return out.getvalue() + "\n"
