"""Credentials as the Engine API carries them.

``X-Registry-Auth`` is base64url(JSON) of Docker's AuthConfig: ``username``,
``password``, ``auth`` (base64 ``user:pass``), ``serveraddress``,
``identitytoken``, ``registrytoken``. ``POST /auth`` has the same object as its
JSON body. An empty or ``{}`` header means anonymous.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pallet.errors import InvalidArgument
from pallet.registry.auth import Credentials

DOCKER_HUB_ADDRESSES = ("https://index.docker.io/v1/", "index.docker.io", "docker.io",
                        "registry-1.docker.io", "https://registry-1.docker.io")


def _b64decode(text: str) -> bytes:
    s = text.strip().replace("-", "+").replace("_", "/")
    return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)


def from_auth_config(doc: Any) -> tuple[Credentials, str]:
    """(credentials, server address) from a decoded AuthConfig object."""
    if not isinstance(doc, dict):
        raise InvalidArgument("invalid registry auth: expected a JSON object")

    def field(*names: str) -> str:
        for n in names:
            v = doc.get(n)
            if isinstance(v, str) and v:
                return v
        return ""

    username, password = field("username", "Username"), field("password", "Password")
    packed = field("auth", "Auth")
    if packed and not (username or password):
        try:
            username, _, password = _b64decode(packed).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise InvalidArgument("invalid registry auth: bad 'auth' field") from None
    creds = Credentials(username, password, field("identitytoken", "IdentityToken"),
                        field("registrytoken", "RegistryToken"))
    return creds, field("serveraddress", "ServerAddress")


def decode_header(value: str) -> tuple[Credentials, str]:
    """An ``X-Registry-Auth`` header value -> (credentials, server address)."""
    if not value.strip():
        return Credentials(), ""
    try:
        doc = json.loads(_b64decode(value))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        # docker-py sends plain base64 too; both alphabets are accepted above
        raise InvalidArgument("invalid X-Registry-Auth header") from None
    return from_auth_config(doc)


def encode_header(creds: Credentials, server: str = "") -> str:
    doc: dict[str, str] = {}
    if creds.username or creds.password:
        doc.update(username=creds.username, password=creds.password)
    if creds.identity_token:
        doc["identitytoken"] = creds.identity_token
    if server:
        doc["serveraddress"] = server
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode()


def registry_host(server: str) -> str:
    """A server address as users write it -> the registry host (``docker.io`` for Hub)."""
    s = server.strip()
    if not s or s in DOCKER_HUB_ADDRESSES or s.rstrip("/") in DOCKER_HUB_ADDRESSES:
        return "docker.io"
    for prefix in ("https://", "http://"):
        if s.startswith(prefix):
            s = s[len(prefix):]
    s = s.split("/", 1)[0]
    return "docker.io" if s in ("index.docker.io", "registry-1.docker.io") else s
