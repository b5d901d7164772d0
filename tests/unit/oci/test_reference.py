from __future__ import annotations

import pytest

from pallet.errors import InvalidArgument
from pallet.oci.digest import Digest, chain_ids, sha256_bytes
from pallet.oci.reference import familiar, normalize, parse, with_tag

D = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("ref", "full", "short"),
    [
        ("busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
        ("user/app:v1", "docker.io/user/app:v1", "user/app:v1"),
        (
            "docker.io/library/debian:bookworm",
            "docker.io/library/debian:bookworm",
            "debian:bookworm",
        ),
        ("index.docker.io/library/x", "docker.io/library/x:latest", "x:latest"),
        ("localhost:5000/a/b:t", "localhost:5000/a/b:t", "localhost:5000/a/b:t"),
        ("localhost/app", "localhost/app:latest", "localhost/app:latest"),
        ("quay.io/org/img", "quay.io/org/img:latest", "quay.io/org/img:latest"),
        (f"busybox@{D}", f"docker.io/library/busybox@{D}", f"busybox@{D}"),
    ],
)
def test_normalize_and_familiar(ref: str, full: str, short: str) -> None:
    assert normalize(ref) == full
    assert familiar(full) == short


@pytest.mark.parametrize("bad", ["", "UPPER", "a:b:c", "-x", "x@sha256:12", "a//b", "x:"])
def test_invalid_references(bad: str) -> None:
    with pytest.raises(InvalidArgument, match="invalid reference format"):
        parse(bad)


def test_hex64_name_rejected() -> None:
    with pytest.raises(InvalidArgument, match="64-byte hexadecimal"):
        parse("a" * 64)


def test_with_tag() -> None:
    assert str(with_tag("reg:5000/x", "t")) == "reg:5000/x:t"
    assert str(with_tag("x", None)) == "docker.io/library/x:latest"
    with pytest.raises(InvalidArgument):
        with_tag("x", "bad tag")


def test_digest_and_chain_ids() -> None:
    with pytest.raises(InvalidArgument):
        Digest("sha256:xyz")
    d = sha256_bytes(b"")
    assert d.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    a, b = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    ids = chain_ids([a, b])
    assert ids[0] == a
    assert ids[1] == sha256_bytes(f"{a} {b}".encode())
