"""Parsers of the package databases and manifests a layer holds.

dpkg's ``status`` (and distroless ``status.d/``) and apk's ``installed`` are
RFC 822-style stanzas; Python's ``METADATA``/``PKG-INFO`` are mail headers; npm's
``package.json`` is JSON. Each parser returns :class:`Found` records without
layer attribution (that is the inventory's job).
"""

from __future__ import annotations

import json
import re

import msgspec


class Found(msgspec.Struct, frozen=True):
    type: str  # deb, apk, pypi, npm
    name: str
    version: str
    source: str = ""
    source_version: str = ""
    arch: str = ""
    licenses: list[str] = []


def _stanzas(text: str) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    cur: dict[str, str] = {}
    key = ""
    for line in text.splitlines():
        if not line.strip():
            if cur:
                out.append(cur)
            cur, key = {}, ""
        elif line[0] in " \t":
            if key:
                cur[key] += "\n" + line.strip()
        else:
            key, _, value = line.partition(":")
            cur[key] = value.strip()
    if cur:
        out.append(cur)
    return out


_SOURCE = re.compile(r"^(\S+)(?:\s+\((\S+)\))?$")


def dpkg(text: str, need_status: bool = True) -> list[Found]:
    """Installed packages of a dpkg ``status`` file (or one ``status.d`` file)."""
    found = []
    for st in _stanzas(text):
        name, version = st.get("Package", ""), st.get("Version", "")
        if not name or not version:
            continue
        if need_status and not st.get("Status", "").endswith(" installed"):
            continue
        src, src_ver = name, version
        m = _SOURCE.match(st.get("Source", ""))
        if m:
            src, src_ver = m.group(1), m.group(2) or version
        found.append(Found("deb", name, version, src, src_ver, st.get("Architecture", "")))
    return found


def apk(text: str) -> list[Found]:
    """Installed packages of apk's ``lib/apk/db/installed``."""
    found = []
    cur: dict[str, str] = {}
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            if cur.get("P") and cur.get("V"):
                lic = [cur["L"]] if cur.get("L") else []
                found.append(Found("apk", cur["P"], cur["V"], cur.get("o", cur["P"]), cur["V"],
                                   cur.get("A", ""), lic))
            cur = {}
        elif len(line) > 1 and line[1] == ":":
            cur.setdefault(line[0], line[2:])
    return found


def python_metadata(text: str) -> list[Found]:
    """A distribution's ``METADATA`` / ``PKG-INFO`` (mail headers up to a blank line)."""
    headers: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break
        if line[0] in " \t":
            continue
        key, _, value = line.partition(":")
        headers.setdefault(key.strip().lower(), value.strip())
    name, version = headers.get("name", ""), headers.get("version", "")
    if not name or not version:
        return []
    lic = headers.get("license-expression") or headers.get("license", "")
    licenses = [lic] if lic and lic != "UNKNOWN" and "\n" not in lic and len(lic) < 80 else []
    return [Found("pypi", name, version, licenses=licenses)]


def npm_package(text: str) -> list[Found]:
    """One ``node_modules/**/package.json``."""
    try:
        doc = json.loads(text)
    except ValueError:
        return []
    if not isinstance(doc, dict):
        return []
    name, version = doc.get("name"), doc.get("version")
    if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
        return []
    lic = doc.get("license")
    licenses = [lic] if isinstance(lic, str) and lic else []
    return [Found("npm", name, version, licenses=licenses)]


def os_release(text: str) -> dict[str, str]:
    """``KEY=value`` lines of ``os-release`` (quotes removed)."""
    out = {}
    for line in text.splitlines():
        key, eq, value = line.strip().partition("=")
        if eq and key and not key.startswith("#"):
            out[key] = value.strip().strip("\"'")
    return out
