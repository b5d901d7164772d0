"""Pull and push against a real registry (Debian's docker-registry on 127.0.0.1),
through ImageService on the overlay snapshotter: round trips, digests verified,
tampered blobs refused without leftovers, resumed pulls, multi-arch indexes,
chunked uploads, cross-repository mounts, Basic and token auth."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pallet.errors import DataCorruption, Unauthorized
from pallet.images import pull as pull_module
from pallet.images.pull import pull
from pallet.images.push import push
from pallet.images.service import ImageService
from pallet.images.stage import StagedImage
from pallet.oci import manifest as om
from pallet.oci import mediatypes as mt
from pallet.oci.reference import parse
from pallet.registry.auth import Credentials
from pallet.registry.client import RegistryClient
from pallet.testing.registry import RegistryServer
from pallet.testing.registry_images import Log, image_stores, make_image

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for overlayfs"),
]
USERS = {"alice": "wonderland"}


@pytest.fixture(scope="module")
def reg() -> Iterator[RegistryServer]:
    with RegistryServer.serving("none", USERS) as server:
        yield server


@pytest.fixture
def stores() -> Iterator[Callable[[], ImageService]]:
    with image_stores("pallet-regimg-") as make:
        yield make


BASE = {"etc/os": b"base\n", "bin/tool": os.urandom(4096)}


def test_push_rmi_pull_gives_the_same_image(reg: RegistryServer,
                                            stores: Callable[[], ImageService]) -> None:
    a, b = stores(), stores()
    name = f"{reg.host}/team/app:1.0"
    iid = make_image(a, name, [BASE, {"app/run": b"v1"}])
    log = Log()
    digest = push(a, RegistryClient(reg.host), parse(name), log, chunk_size=1000)
    assert log.statuses()[0] == f"The push refers to repository [{reg.host}/team/app]"
    assert log.statuses().count("Pushed") == 2
    assert log.items[-1]["aux"] == {"Tag": "1.0", "Digest": digest,
                                    "Size": len(a.content.read(digest))}
    assert f"{reg.host}/team/app@{digest}" in a.resolve(iid).repo_digests

    log = Log()
    res = pull(b, RegistryClient(reg.host), parse(name), log)
    img = b.resolve(name)
    assert res.image_id == img.id == iid and res.digest == digest and res.updated
    assert img.manifest_digest == digest
    assert log.statuses()[0] == "Pulling from team/app"
    assert log.statuses()[-2:] == [f"Digest: {digest}",
                                   f"Status: Downloaded newer image for {name}"]
    assert log.statuses().count("Pull complete") == 2
    assert b.snapshotter.exists(img.top_snapshot or "")

    # by digest: exactly that manifest
    log = Log()
    pull(b, RegistryClient(reg.host), parse(f"{reg.host}/team/app@{digest}"), log)
    assert "Status: Image is up to date" in log.statuses()[-1]
    # again by tag: nothing is downloaded
    log = Log()
    assert not pull(b, RegistryClient(reg.host), parse(name), log).updated
    assert log.statuses().count("Already exists") == 2
    assert log.statuses()[-1] == f"Status: Image is up to date for {name}"


def test_shared_layers_are_not_downloaded_again(reg: RegistryServer,
                                                stores: Callable[[], ImageService]) -> None:
    a, b = stores(), stores()
    make_image(a, f"{reg.host}/shared/one:1", [BASE, {"one": b"1"}])
    make_image(a, f"{reg.host}/shared/two:1", [BASE, {"two": b"2"}])
    client = RegistryClient(reg.host)
    push(a, client, parse(f"{reg.host}/shared/one:1"), Log())
    log = Log()
    push(a, client, parse(f"{reg.host}/shared/two:1"), log)
    # the base layer is in another repository of the same registry: mounted, not sent
    assert "Mounted from shared/one" in log.statuses()
    pull(b, RegistryClient(reg.host), parse(f"{reg.host}/shared/one:1"), Log())
    base_digest = b.resolve(f"{reg.host}/shared/one:1").layers[0].digest
    gets = reg.blob_gets(base_digest)
    log = Log()
    pull(b, RegistryClient(reg.host), parse(f"{reg.host}/shared/two:1"), log)
    assert log.statuses(base_digest[7:19]) == ["Already exists"]
    assert reg.blob_gets(base_digest) == gets


def test_tampered_blob_is_refused_and_a_retry_resumes(
        reg: RegistryServer, stores: Callable[[], ImageService]) -> None:
    a, b = stores(), stores()
    name = f"{reg.host}/tamper/app:1"
    make_image(a, name, [BASE, {"big": os.urandom(300_000)}])
    push(a, RegistryClient(reg.host), parse(name), Log())
    layers = a.resolve(name).layers
    top = reg.blob_path(layers[1].digest)
    good = top.read_bytes()
    top.write_bytes(good[:100] + bytes([good[100] ^ 0xFF]) + good[101:])
    try:
        with pytest.raises(DataCorruption, match="digest mismatch"):
            pull(b, RegistryClient(reg.host), parse(name), Log(), parallel=1)
    finally:
        top.write_bytes(good)
    # nothing half-made: no image, no tag, no snapshot, no unverified blob
    assert b.list() == [] and not b.exists(name)
    assert not b.snapshotter.exists(layers[0].chain_id)
    blobs = {x.digest for x in b.content.walk()}
    assert blobs <= {layers[0].digest}
    assert not list((b.paths.content / "ingest").glob("*"))
    # a retry completes without fetching the verified layer again
    base_gets = reg.blob_gets(layers[0].digest)
    log = Log()
    pull(b, RegistryClient(reg.host), parse(name), log)
    assert b.resolve(name).id == a.resolve(name).id
    assert reg.blob_gets(layers[0].digest) == base_gets
    assert "Downloading" not in log.statuses(layers[0].digest[7:19])


def test_multi_arch_index_picks_the_platform(reg: RegistryServer,
                                             stores: Callable[[], ImageService]) -> None:
    a, b = stores(), stores()
    amd = make_image(a, f"{reg.host}/multi/amd:1", [BASE])
    arm = make_image(a, f"{reg.host}/multi/arm:1", [BASE], arch="arm64")
    client = RegistryClient(reg.host)
    descs = []
    for ref, arch in ((f"{reg.host}/multi/amd:1", "amd64"), (f"{reg.host}/multi/arm:1", "arm64")):
        push(a, client, parse(ref), Log())
        data = a.content.read(a.resolve(ref).manifest_digest or "")
        for blob in [a.resolve(ref).id, *(x.digest for x in a.resolve(ref).layers)]:
            assert client.mount_blob("multi/app", blob, ref.split("/", 1)[1].rsplit(":", 1)[0])
        d = client.put_manifest("multi/app", om.encode(om.decode(data, "m"))[1], data,
                                mt.OCI_MANIFEST)
        descs.append(om.descriptor(mt.OCI_MANIFEST, d, len(data),
                                   platform={"os": "linux", "architecture": arch}))
    index_bytes, index_digest = om.encode(om.index(list(reversed(descs))))
    client.put_manifest("multi/app", "latest", index_bytes, mt.OCI_INDEX)
    res = pull(b, RegistryClient(reg.host), parse(f"{reg.host}/multi/app"), Log())
    assert res.image_id == amd and res.digest == index_digest
    assert f"{reg.host}/multi/app@{index_digest}" in b.resolve(amd).repo_digests
    res = pull(b, RegistryClient(reg.host), parse(f"{reg.host}/multi/app"), Log(),
               platform="linux/arm64")
    assert res.image_id == arm and b.resolve(f"{reg.host}/multi/app").id == arm


@pytest.mark.parametrize("auth", ["htpasswd", "token"])
def test_authenticated_registry(auth: str, stores: Callable[[], ImageService]) -> None:
    with RegistryServer.serving(auth, USERS) as server:
        a, b = stores(), stores()
        name = f"{server.host}/private/app:1"
        iid = make_image(a, name, [BASE])
        with pytest.raises(Unauthorized):
            push(a, RegistryClient(server.host), parse(name), Log())
        with pytest.raises(Unauthorized):
            RegistryClient(server.host, Credentials("alice", "wrong")).ping()
        creds = Credentials("alice", "wonderland")
        RegistryClient(server.host, creds).ping()
        push(a, RegistryClient(server.host, creds), parse(name), Log())
        assert pull(b, RegistryClient(server.host, creds), parse(name), Log()).image_id == iid
        if server.token is not None:
            granted = [r for r in server.token.requests if r.get("user") == "alice"]
            assert any("repository:private/app:pull,push" in r.get("scope", []) for r in granted)


def test_registry_killed_mid_pull_then_retry_skips_verified_layers(
        tmp_path: Path, stores: Callable[[], ImageService],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pull_module, "RETRY_DELAYS", ())  # this pull fails; the next resumes
    import threading
    import time

    a, b = stores(), stores()
    reg = RegistryServer(tmp_path / "reg")
    reg.start()
    try:
        name = f"{reg.host}/killed/app:1"
        make_image(a, name, [BASE])
        # A big second layer (random bytes, gzip level 1 so the fixture is quick to make).
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as tf:
            data = os.urandom(64 << 20)
            info = tarfile.TarInfo("big.bin")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        stage = a.new_stage()
        base = a.resolve(name).layers[0]
        digest = stage.blob_bytes(gzip.compress(raw.getvalue(), compresslevel=1, mtime=0))
        big = stage.layer(base.chain_id, digest, None, mt.OCI_LAYER_GZIP)
        small = stage.layer(None, base.digest, None, mt.OCI_LAYER_GZIP)
        config = om.image_config(created="2024-01-01T00:00:00Z", architecture="amd64",
                                 diff_ids=[small.diff_id, big.diff_id], config={"Cmd": ["sh"]})
        cbytes = om.canonical_json(config)
        img = StagedImage(cbytes, stage.blob_bytes(cbytes), [small, big], [str(parse(name))])
        a.finish_manifest(stage, img)
        a.publish([img])
        push(a, RegistryClient(reg.host), parse(name), Log())

        failure: list[BaseException] = []

        def pulling() -> None:
            try:
                pull(b, RegistryClient(reg.host), parse(name), Log(), parallel=2)
            except BaseException as e:  # the registry dies under it
                failure.append(e)

        t = threading.Thread(target=pulling)
        t.start()
        deadline = time.monotonic() + 30
        while reg.blob_gets(small.digest) == 0 or not b.content.exists(small.digest):
            assert time.monotonic() < deadline, "the small layer never arrived"
            time.sleep(0.005)
        assert reg.proc is not None
        reg.proc.kill()  # the registry dies while the big layer is on its way
        reg.proc.wait(timeout=10)
        t.join(timeout=60)
        assert failure, "the pull finished before the registry was killed"
        assert b.list() == [] and not b.exists(name)

        reg.start()  # same storage, same port
        gets = reg.blob_gets(small.digest)
        log = Log()
        pull(b, RegistryClient(reg.host), parse(name), log)
        assert b.resolve(name).id == a.resolve(name).id
        assert reg.blob_gets(small.digest) == gets  # the verified layer was not fetched again
        assert "Downloading" not in log.statuses(small.digest[7:19])
    finally:
        reg.close()
