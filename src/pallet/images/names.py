"""How a user's reference names an image: by full ID, ID prefix, or repository reference.

Also :func:`familiar`, the short form (``busybox:latest``) Docker prints for a stored name.
"""

from __future__ import annotations

import re

from pallet.errors import InvalidArgument, NotFound
from pallet.images.records import ImageRecords
from pallet.oci import reference

_HEX_PREFIX = re.compile(r"^(sha256:)?[0-9a-f]{1,64}$")


def familiar(name: str) -> str:
    """The familiar form of a normalised name; the name itself if it does not parse."""
    try:
        return reference.familiar(name)
    except InvalidArgument:
        return name


def resolve_id(records: ImageRecords, ref: str) -> tuple[str, bool]:
    """(image id, whether ``ref`` named it by ID) or NotFound/InvalidArgument."""
    if _HEX_PREFIX.match(ref):
        if ref.startswith("sha256:") and len(ref) == 71:
            if records.get(ref):
                return ref, True
            raise NotFound(f"No such image: {ref}")
        if not ref.startswith("sha256:") and len(ref) < 64:
            # a bare short hex could also be a repository name ("abc" -> abc:latest)
            try:
                found = records.ref(reference.normalize(ref))
            except InvalidArgument:
                found = None
            if found:
                return found, False
        ids = records.ids_with_prefix(ref.removeprefix("sha256:"))
        if len(ids) == 1:
            return ids[0], True
        if len(ids) > 1:
            raise InvalidArgument(f"ambiguous image ID prefix {ref!r}")
        raise NotFound(f"No such image: {ref}")
    r = reference.parse(ref)
    found = records.ref(str(r))
    if found is None:
        raise NotFound(f"No such image: {r.familiar}")
    return found, False
