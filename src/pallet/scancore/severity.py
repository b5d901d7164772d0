"""A record's severity: the source's own rating, else the CVSS base score.

OSV records carry ratings in several places: ``database_specific.severity``
(GitHub: LOW/MODERATE/HIGH/CRITICAL), ``severity[]`` entries (of the record, or
since OSV 1.5 of each ``affected[]``) of type ``Ubuntu`` (a word) or CVSS vectors
(``CVSS_V3``, ``CVSS_V4``, ``CVSS_V2``) whose base score the ``cvss`` library
computes, and Debian's ``ecosystem_specific.urgency``. A score maps to a rating
by CVSS's bands.
"""

from __future__ import annotations

from typing import Any

LEVELS = ("UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL")
_WORDS = {"MODERATE": "MEDIUM", "NEGLIGIBLE": "LOW", "IMPORTANT": "HIGH", "NONE": "UNKNOWN",
          "UNIMPORTANT": "LOW"}


def word(text: str) -> str:
    """A rating word in the scan's vocabulary (UNKNOWN when unrecognised)."""
    w = text.strip().upper()
    w = _WORDS.get(w, w)
    return w if w in LEVELS else "UNKNOWN"


def band(score: float) -> str:
    """CVSS v3/v4 qualitative rating of a base score."""
    if score >= 9.0:
        return "CRITICAL"
    if score >= 7.0:
        return "HIGH"
    if score >= 4.0:
        return "MEDIUM"
    if score > 0.0:
        return "LOW"
    return "UNKNOWN"


def cvss_score(kind: str, vector: str) -> float | None:
    try:
        if kind == "CVSS_V3":
            from cvss import CVSS3

            return float(CVSS3(vector).base_score)
        if kind == "CVSS_V4":
            from cvss import CVSS4

            return float(CVSS4(vector).base_score)
        if kind == "CVSS_V2":
            from cvss import CVSS2

            return float(CVSS2(vector).base_score)
    except Exception:  # the library raises its own error kinds for malformed vectors
        return None
    return None


def rate(record: dict[str, Any]) -> tuple[str, float | None]:
    """(rating, CVSS base score or None) for one OSV record."""
    score: float | None = None
    rating = ""
    entries = list(record.get("severity") or [])
    for aff in record.get("affected") or []:
        if isinstance(aff, dict):
            entries += aff.get("severity") or []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        kind, value = str(entry.get("type", "")), str(entry.get("score", ""))
        if kind == "Ubuntu":
            rating = rating or word(value)
            continue
        s = cvss_score(kind, value)
        if s is not None and (score is None or kind != "CVSS_V2"):
            score = s
    specific = record.get("database_specific")
    if isinstance(specific, dict) and isinstance(specific.get("severity"), str):
        rating = word(specific["severity"])
    for aff in record.get("affected") or []:
        for key in ("ecosystem_specific", "database_specific"):
            spec = aff.get(key) if isinstance(aff, dict) else None
            if not rating and isinstance(spec, dict):
                for field in ("severity", "urgency"):
                    if isinstance(spec.get(field), str) and word(spec[field]) != "UNKNOWN":
                        rating = rating or word(spec[field])
    if not rating or rating == "UNKNOWN":
        rating = band(score) if score is not None else "UNKNOWN"
    return rating, score
