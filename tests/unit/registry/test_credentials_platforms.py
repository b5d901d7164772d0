"""X-Registry-Auth decoding, server addresses, platform strings and index selection."""

from __future__ import annotations

import base64
import json

import pytest

from pallet.errors import InvalidArgument, NotFound
from pallet.oci import platforms
from pallet.registry.auth import Credentials
from pallet.registry.credentials import decode_header, encode_header, registry_host


def _hdr(doc: object, urlsafe: bool = True) -> str:
    raw = json.dumps(doc).encode()
    return (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(raw).decode()


def test_header_forms() -> None:
    assert decode_header("") == (Credentials(), "")
    assert decode_header("e30=") == (Credentials(), "")
    creds, server = decode_header(_hdr({"username": "u", "password": "p?>", "serveraddress": "s"}))
    assert creds == Credentials("u", "p?>") and server == "s"
    packed = base64.b64encode(b"bob:x:y").decode()
    assert decode_header(_hdr({"auth": packed}, urlsafe=False))[0] == Credentials("bob", "x:y")
    assert decode_header(_hdr({"identitytoken": "T"}))[0].identity_token == "T"
    assert decode_header(encode_header(Credentials("a", "b"), "h")) == (Credentials("a", "b"), "h")
    with pytest.raises(InvalidArgument):
        decode_header("!!notbase64")


def test_registry_host() -> None:
    assert registry_host("") == "docker.io"
    assert registry_host("https://index.docker.io/v1/") == "docker.io"
    assert registry_host("http://127.0.0.1:5000/v2/") == "127.0.0.1:5000"
    assert registry_host("localhost:5000") == "localhost:5000"


def test_platform_parse() -> None:
    assert str(platforms.parse("linux/arm64/v8")) == "linux/arm64/v8"
    assert platforms.parse("x86_64") == platforms.Platform("linux", "amd64")
    with pytest.raises(InvalidArgument):
        platforms.parse("linux//x")


INDEX = [
    {"digest": "sha256:" + "1" * 64, "platform": {"os": "linux", "architecture": "arm",
                                                  "variant": "v7"}},
    {"digest": "sha256:" + "2" * 64, "platform": {"os": "linux", "architecture": "arm64",
                                                  "variant": "v8"}},
    {"digest": "sha256:" + "3" * 64, "platform": {"os": "linux", "architecture": "amd64"}},
    {"digest": "sha256:" + "4" * 64, "platform": {"os": "unknown", "architecture": "unknown"}},
]


def test_select_from_an_index() -> None:
    assert platforms.select(INDEX, platforms.parse("linux/amd64"))["digest"][-1] == "3"
    assert platforms.select(INDEX, platforms.parse("linux/arm64"))["digest"][-1] == "2"
    assert platforms.select(INDEX, platforms.parse("linux/arm/v7"))["digest"][-1] == "1"
    with pytest.raises(NotFound, match="no matching manifest for linux/s390x"):
        platforms.select(INDEX, platforms.parse("linux/s390x"))
