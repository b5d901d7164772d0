"""Distribution-spec error bodies (``{"errors": [{"code", "message", "detail"}]}``)
turned into pallet error kinds with Docker's wording."""

from __future__ import annotations

import json

from pallet.errors import (
    Forbidden,
    InvalidArgument,
    NotFound,
    PalletError,
    Unauthorized,
    Unavailable,
)
from pallet.registry.http import Response

MAX_ERROR_BODY = 64 * 1024


def error_codes(body: bytes) -> list[tuple[str, str]]:
    """(code, message) pairs of an error body; empty when it is not one."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    errs = doc.get("errors") if isinstance(doc, dict) else None
    if not isinstance(errs, list):
        return []
    return [(str(e.get("code", "")), str(e.get("message", ""))) for e in errs
            if isinstance(e, dict)]


def raise_for(resp: Response, what: str) -> None:
    """Raise the pallet error for a failed registry response (reads its body)."""
    body = resp.read(MAX_ERROR_BODY)
    codes = error_codes(body)
    code, message = codes[0] if codes else ("", "")
    detail = message or (body.decode(errors="replace").strip().split("\n")[0][:200]
                         if body and not body.lstrip().startswith(b"<") else "")
    text = f"{what}: {detail}" if detail else f"{what}: HTTP {resp.status}"
    status = resp.status
    if status == 401 or code == "UNAUTHORIZED":
        raise Unauthorized(f"{what}: unauthorized: {message or 'authentication required'}")
    if status == 403 or code == "DENIED":
        raise Forbidden(text)
    if status == 404 or code in ("MANIFEST_UNKNOWN", "BLOB_UNKNOWN", "NAME_UNKNOWN"):
        raise NotFound(text)
    if status == 429 or code == "TOOMANYREQUESTS":
        raise Unavailable(f"{what}: too many requests")
    if status in (400, 405, 413) or code in ("MANIFEST_INVALID", "DIGEST_INVALID",
                                             "NAME_INVALID", "TAG_INVALID", "UNSUPPORTED"):
        raise InvalidArgument(text)
    if status >= 500:
        raise Unavailable(text)
    raise PalletError(text)
