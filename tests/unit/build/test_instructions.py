"""Metadata instructions and flags, from parsed lines (pure)."""

from __future__ import annotations

import pytest

from pallet.build.instructions import (
    Scope,
    arg_decls,
    exposed_ports,
    healthcheck,
    key_values,
    parse_mount,
    volumes,
    workdir,
)
from pallet.dockerfile.parser import ParseError, parse_line

SCOPE = Scope(["A=apple", "PATH=/bin"], {"V": "1.2"})


def _i(text: str):  # type: ignore[no-untyped-def]
    return parse_line(text, "Dockerfile")


def test_env_forms() -> None:
    assert key_values(_i('ENV X=$A Y="two words" Z=${V}'), SCOPE, "Dockerfile") == [
        ("X", "apple"), ("Y", "two words"), ("Z", "1.2")]
    assert key_values(_i("ENV X legacy form $A"), SCOPE, "Dockerfile") == [
        ("X", "legacy form apple")]
    with pytest.raises(ParseError, match="must have two arguments"):
        key_values(_i("ENV X"), SCOPE, "Dockerfile")


def test_label_and_arg() -> None:
    assert key_values(_i('LABEL "a b"=c d=e'), SCOPE, "D") == [("a b", "c"), ("d", "e")]
    assert arg_decls(_i("ARG X Y=$A Z="), SCOPE, "D") == [("X", None), ("Y", "apple"), ("Z", "")]


def test_expose_volume_workdir() -> None:
    assert exposed_ports(_i("EXPOSE 80 53/udp 9000-9002"), SCOPE, "D") == [
        "80/tcp", "53/udp", "9000/tcp", "9001/tcp", "9002/tcp"]
    with pytest.raises(ParseError):
        exposed_ports(_i("EXPOSE 80/xyz"), SCOPE, "D")
    assert volumes(_i('VOLUME ["/a", "/b"]'), SCOPE, "D") == ["/a", "/b"]
    assert volumes(_i("VOLUME /a /b"), SCOPE, "D") == ["/a", "/b"]
    assert workdir("/app", _i("WORKDIR sub/$V"), SCOPE) == "/app/sub/1.2"
    assert workdir("/app", _i("WORKDIR /abs/../x"), SCOPE) == "/x"


def test_healthcheck() -> None:
    hc = healthcheck(_i("HEALTHCHECK --interval=5s --timeout=2s --retries=3 CMD wget -q x"),
                     ["/bin/sh", "-c"], "D")
    assert hc == {"Test": ["CMD-SHELL", "wget -q x"], "Interval": 5_000_000_000,
                  "Timeout": 2_000_000_000, "Retries": 3}
    assert healthcheck(_i('HEALTHCHECK CMD ["true"]'), [], "D") == {"Test": ["CMD", "true"]}
    assert healthcheck(_i("HEALTHCHECK NONE"), [], "D") == {"Test": ["NONE"]}
    with pytest.raises(ParseError):
        healthcheck(_i("HEALTHCHECK --bogus=1 CMD x"), [], "D")


def test_mounts() -> None:
    inst = _i("RUN true")
    m = parse_mount("type=cache,target=/root/.cache,sharing=locked", "D", inst)
    assert (m.type, m.target, m.id) == ("cache", "/root/.cache", "/root/.cache")
    assert m.sharing == "locked"
    s = parse_mount("type=secret,id=tok", "D", inst)
    assert (s.target, s.id) == ("/run/secrets/tok", "tok")
    b = parse_mount("type=bind,source=src,target=/src,from=build,rw", "D", inst)
    assert (b.from_, b.readonly) == ("build", False)
    assert parse_mount("target=/x", "D", inst).type == "bind"
    with pytest.raises(ParseError, match="unknown --mount option"):
        parse_mount("type=cache,target=/c,bogus=1", "D", inst)
    with pytest.raises(ParseError, match="needs a target"):
        parse_mount("type=cache", "D", inst)
