"""A blob download cut off half-way resumes (issue 18 #3): the registry is killed while a
100 MB layer streams; the retry asks for the rest with a Range request (the registry's
access log shows a 206 of exactly the missing bytes) and the image is whole; within one
pull a lost connection is retried the same way ("Retrying in 1 second"); a registry
that answers the Range with the whole blob makes pallet start that blob over."""

from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pallet.errors import Unavailable
from pallet.images import pull as pull_module
from pallet.images.pull import pull
from pallet.images.push import push
from pallet.images.service import ImageService
from pallet.oci import compression
from pallet.oci.reference import parse
from pallet.registry.client import RegistryClient
from pallet.registry.http import Response
from pallet.testing.registry import RegistryServer
from pallet.testing.registry_images import Log, image_stores, make_image

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for overlayfs"),
]
BIG = 100 << 20


@pytest.fixture
def stores() -> Iterator[Callable[[], ImageService]]:
    with image_stores("pallet-resume-") as make:
        yield make


class _KillHalfWay:
    """A blob body that kills the registry once ``at`` bytes have been read from it."""

    def __init__(self, resp: Response, reg: RegistryServer, at: int, restart: bool) -> None:
        self.resp = resp
        self.reg = reg
        self.at = at
        self.restart = restart
        self.seen = 0
        self.status = resp.status

    def read(self, n: int = -1) -> bytes:
        data = self.resp.read(n)
        self.seen += len(data)
        if self.seen >= self.at and self.reg.proc is not None and self.reg.proc.poll() is None:
            os.kill(self.reg.proc.pid, signal.SIGKILL)
            self.reg.proc.wait(timeout=10)
            if self.restart:  # back while the pull waits to retry
                threading.Thread(target=self.reg.start, daemon=True).start()
        return data

    def close(self) -> None:
        self.resp.close()


def _cutting(reg: RegistryServer, digest: str, at: int, restart: bool = False
             ) -> RegistryClient:
    """A client whose first download of ``digest`` kills the registry ``at`` bytes in."""

    class Cutting(RegistryClient):
        def open_blob(self, repo: str, d: str, offset: int = 0) -> Response:
            resp = super().open_blob(repo, d, offset)
            if d != digest or offset:
                return resp
            return _KillHalfWay(resp, reg, at, restart)  # type: ignore[return-value]

    return Cutting(reg.host)


def _gets(reg: RegistryServer, digest: str) -> list[tuple[int, int]]:
    """(status, bytes sent) of each logged GET of ``digest``."""
    out = []
    for line in reg.log.read_text(errors="replace").splitlines():
        m = re.search(r'"GET /v2/[^ ]*/blobs/' + digest + r' HTTP/[0-9.]+" (\d+) (\d+)', line)
        if m:
            out.append((int(m.group(1)), int(m.group(2))))
    return out


def test_registry_killed_half_way_then_the_retry_fetches_only_the_rest(
        tmp_path: Path, stores: Callable[[], ImageService],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pull_module, "RETRY_DELAYS", ())  # the pull fails, the next resumes
    a, b = stores(), stores()
    reg = RegistryServer(tmp_path / "reg")
    reg.start()
    try:
        name = f"{reg.host}/resume/big:1"
        iid = make_image(a, name, [{"big.bin": os.urandom(BIG)}], compress=False)
        push(a, RegistryClient(reg.host), parse(name), Log(),
             compression=compression.parse("none"))
        layer = a.resolve(name).layers[0]
        with pytest.raises(Unavailable):
            pull(b, _cutting(reg, layer.digest, layer.size // 2), parse(name), Log())
        partial = b.content.ingest_dir / f"partial-{layer.digest[7:]}"
        kept = partial.stat().st_size
        assert layer.size // 2 <= kept < layer.size
        assert b.list() == []

        reg.start()  # same storage, same port
        log = Log()
        pull(b, RegistryClient(reg.host), parse(name), log)
        assert b.resolve(name).id == iid
        assert _gets(reg, layer.digest)[-1] == (206, layer.size - kept)
        assert not partial.exists()
    finally:
        reg.close()


def test_a_lost_connection_is_retried_within_the_pull(
        tmp_path: Path, stores: Callable[[], ImageService]) -> None:
    a, b = stores(), stores()
    reg = RegistryServer(tmp_path / "reg")
    reg.start()
    try:
        name = f"{reg.host}/resume/retry:1"
        iid = make_image(a, name, [{"big.bin": os.urandom(BIG // 4)}], compress=False)
        push(a, RegistryClient(reg.host), parse(name), Log(),
             compression=compression.parse("none"))
        layer = a.resolve(name).layers[0]
        log = Log()
        pull(b, _cutting(reg, layer.digest, layer.size // 2, restart=True), parse(name), log)
        assert b.resolve(name).id == iid
        assert "Retrying in 1 second" in log.statuses(layer.digest[7:19])
        status, sent = _gets(reg, layer.digest)[-1]
        assert status == 206 and sent < layer.size
    finally:
        reg.close()


def test_a_whole_blob_instead_of_the_range_starts_it_over(
        tmp_path: Path, stores: Callable[[], ImageService]) -> None:
    a, b = stores(), stores()
    with RegistryServer.serving() as reg:
        name = f"{reg.host}/resume/small:1"
        iid = make_image(a, name, [{"f.bin": os.urandom(3 << 20)}], compress=False)
        push(a, RegistryClient(reg.host), parse(name), Log(),
             compression=compression.parse("none"))
        layer = a.resolve(name).layers[0]
        b.content.ingest_dir.mkdir(parents=True, exist_ok=True)
        partial = b.content.ingest_dir / f"partial-{layer.digest[7:]}"
        partial.write_bytes(b"x" * 1000)  # a prefix that is not the blob's

        class NoRange(RegistryClient):
            def open_blob(self, repo: str, d: str, offset: int = 0) -> Response:
                return super().open_blob(repo, d, 0)

        with pytest.raises(Exception, match="digest mismatch"):
            pull(b, RegistryClient(reg.host), parse(name), Log())
        assert not partial.exists()  # a failed verification drops the bytes
        partial.write_bytes(b"x" * 1000)
        pull(b, NoRange(reg.host), parse(name), Log())
        assert b.resolve(name).id == iid and not partial.exists()
