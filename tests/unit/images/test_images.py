"""ImageService over a plain-copy snapshotter: names, removal, archives, import."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from pallet.build.changes import apply_commit_changes
from pallet.errors import Conflict, DataCorruption, InvalidArgument, NotFound
from pallet.images import views
from pallet.images.service import ImageService

from .helpers import docker_2010_archive, layer_tar, sha


def _import(
    svc: ImageService,
    tmp: Path,
    files: dict[str, bytes],
    ref: str | None,
    changes: list[str] | None = None,
) -> str:
    p = tmp / f"rootfs-{len(list(tmp.iterdir()))}.tar.gz"
    p.write_bytes(gzip.compress(layer_tar(files)))
    return svc.import_tar(p, ref, apply_commit_changes({}, changes or []), "")


def test_bootstrap_busybox_reproducible_and_usable(svc: ImageService, tmp_path: Path) -> None:
    iid = svc.bootstrap("busybox")
    img = svc.resolve("busybox")
    assert img.id == iid and img.repo_tags == ["busybox:latest"]
    assert img.container_config["Cmd"] == ["sh"]
    assert img.config["rootfs"]["type"] == "layers" and len(img.layers) == 1
    assert img.top_snapshot == img.layers[0].chain_id
    assert svc.bootstrap("busybox:latest") == iid  # same package -> same ID
    root = svc.snapshotter.path(img.top_snapshot)  # type: ignore[attr-defined]
    assert (root / "bin/busybox").is_file()
    assert (root / "bin/sh").is_symlink()
    assert "nobody:x:65534" in (root / "etc/passwd").read_text()
    assert oct((root / "tmp").stat().st_mode & 0o7777) == "0o1777"
    with pytest.raises(InvalidArgument):
        svc.bootstrap("alpine")


def test_resolve_by_name_id_prefix(svc: ImageService, tmp_path: Path) -> None:
    iid = _import(svc, tmp_path, {"a": b"1"}, "app:v1")
    assert svc.resolve("app:v1").id == iid
    assert svc.resolve("docker.io/library/app:v1").id == iid
    assert svc.resolve(iid).id == iid
    assert svc.resolve(iid[7:19]).id == iid
    assert svc.resolve(iid[:10]).id == iid
    with pytest.raises(NotFound, match="No such image: app:latest"):
        svc.resolve("app")
    with pytest.raises(NotFound, match="No such image: other:latest"):
        svc.resolve("docker.io/library/other")
    with pytest.raises(InvalidArgument, match="invalid reference format"):
        svc.resolve("Bad:Name")


def test_ambiguous_prefix(svc: ImageService, tmp_path: Path) -> None:
    ids = [_import(svc, tmp_path, {"a": str(i).encode()}, None) for i in range(40)]
    firsts: dict[str, list[str]] = {}
    for i in ids:
        firsts.setdefault(i[7], []).append(i)
    prefix = next(k for k, v in firsts.items() if len(v) > 1)
    with pytest.raises(InvalidArgument, match="ambiguous"):
        svc.resolve(prefix)


def test_import_with_changes(svc: ImageService, tmp_path: Path) -> None:
    iid = _import(
        svc,
        tmp_path,
        {"bin/app": b"x"},
        "imp:1",
        [
            'CMD ["/bin/app", "-v"]',
            "ENV A=b C=d",
            "WORKDIR /srv",
            "ENTRYPOINT /init",
            "EXPOSE 80 53/udp",
            "USER 1000",
            'LABEL k=v "x y"=z',
            "HEALTHCHECK --interval=5s CMD true",
        ],
    )
    c = svc.get(iid).container_config
    assert c["Cmd"] == ["/bin/app", "-v"]
    assert c["Env"] == ["A=b", "C=d"]
    assert c["WorkingDir"] == "/srv"
    assert c["Entrypoint"] == ["/bin/sh", "-c", "/init"]
    assert c["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}}
    assert c["User"] == "1000"
    assert c["Labels"] == {"k": "v", "x y": "z"}
    assert c["Healthcheck"] == {"Test": ["CMD-SHELL", "true"], "Interval": 5_000_000_000}
    assert svc.get(iid).config["history"][0]["comment"] == "Imported from -"
    with pytest.raises(InvalidArgument, match="not a valid change"):
        _import(svc, tmp_path, {"a": b""}, None, ["RUN true"])


def test_list_is_read_once_per_change(svc: ImageService, tmp_path: Path) -> None:
    iid = _import(svc, tmp_path, {"a": b"1"}, "one:latest")
    first = svc.list()
    assert [i.repo_tags for i in first] == [["one:latest"]]
    assert svc.list()[0] is first[0]  # nothing changed: the same decoded image
    svc.tag("one", "two:x")  # any write to the database: read again
    again = svc.list()
    assert again[0] is not first[0] and sorted(again[0].repo_tags) == ["one:latest", "two:x"]
    svc.remove("two:x")
    assert [i.repo_tags for i in svc.list()] == [["one:latest"]] and svc.list()[0].id == iid


def test_tag_and_remove_semantics(svc: ImageService, tmp_path: Path) -> None:
    iid = _import(svc, tmp_path, {"a": b"1"}, "one:latest")
    svc.tag("one", "two:x")
    assert sorted(svc.get(iid).repo_tags) == ["one:latest", "two:x"]
    # several names: untag one only
    assert svc.remove("two:x") == [{"Untagged": "two:x"}]
    assert svc.get(iid).repo_tags == ["one:latest"]
    # in use by a container: conflict with Docker's text
    with pytest.raises(Conflict) as e:
        svc.remove("one", in_use=lambda _i: "abcdef0123456789")
    assert str(e.value) == (
        'conflict: unable to remove repository reference "one" (must force) - container '
        f"abcdef012345 is using its referenced image {iid[7:19]}"
    )
    # by ID with two repositories: must force
    svc.tag("one", "three")
    with pytest.raises(Conflict, match="referenced in multiple repositories"):
        svc.remove(iid[7:19])
    recs = svc.remove(iid[7:19], force=True)
    assert {"Untagged": "one:latest"} in recs and {"Untagged": "three:latest"} in recs
    assert {"Deleted": iid} in recs
    assert not svc.list()
    assert list(svc.content.walk()) == []
    assert list(svc.snapshotter.walk()) == []


def test_remove_keeps_shared_layers(svc: ImageService, tmp_path: Path) -> None:
    a = docker_2010_archive(tmp_path / "a.tar", [layer_tar({"a": b"1"})], ["a:1"])
    b = docker_2010_archive(
        tmp_path / "b.tar", [layer_tar({"a": b"1"}), layer_tar({"b": b"2"})], ["b:1"]
    )
    svc.load(tmp_path / "a.tar")
    svc.load(tmp_path / "b.tar")
    assert len(list(svc.snapshotter.walk())) == 2  # base layer shared
    svc.remove("b:1")
    assert svc.resolve("a:1").id == a
    assert len(list(svc.snapshotter.walk())) == 1
    with pytest.raises(NotFound):
        svc.get(b)


def test_prune_reclaims_only_the_layers_it_removes(svc: ImageService, tmp_path: Path) -> None:
    docker_2010_archive(tmp_path / "a.tar", [layer_tar({"a": b"1"})], ["a:1"])
    docker_2010_archive(tmp_path / "b.tar",
                        [layer_tar({"a": b"1"}), layer_tar({"b": b"22"})], [])
    svc.load(tmp_path / "a.tar")
    svc.load(tmp_path / "b.tar")
    r = svc.prune(True, in_use=lambda _i: False)
    assert len([d for d in r["ImagesDeleted"] if "Deleted" in d]) == 2  # b and its top layer
    assert r["SpaceReclaimed"] == 2  # the shared base layer stays with a:1


def test_rootfs_mounts_and_release_after_forced_delete(svc: ImageService, tmp_path: Path) -> None:
    iid = _import(svc, tmp_path, {"a": b"1"}, "c:1")
    svc.rootfs_mounts(svc.get(iid), "ctr1")
    svc.remove(iid, force=True, in_use=lambda _i: "ctr1")
    assert svc.snapshotter.exists("ctr1")
    assert svc.snapshotter.exists(svc.snapshotter.stat("ctr1").parent or "")
    svc.release("ctr1")
    assert list(svc.snapshotter.walk()) == []


def test_prune(svc: ImageService, tmp_path: Path) -> None:
    keep = _import(svc, tmp_path, {"a": b"1"}, "keep:1")
    dang = _import(svc, tmp_path, {"a": b"2"}, None)
    used = _import(svc, tmp_path, {"a": b"3"}, None)
    r = svc.prune(True, in_use=lambda i: i == used)
    assert r["ImagesDeleted"][0] == {"Deleted": dang}
    assert r["SpaceReclaimed"] == 1
    assert {i.id for i in svc.list()} == {keep, used}
    r = svc.prune(False, in_use=lambda i: i == used)
    assert {"Untagged": "keep:1"} in r["ImagesDeleted"]
    assert [i.id for i in svc.list()] == [used]


def test_history_and_views(svc: ImageService, tmp_path: Path) -> None:
    docker_2010_archive(
        tmp_path / "a.tar", [layer_tar({"a": b"12"}), layer_tar({"b": b"3"})], ["h:1"]
    )
    svc.load(tmp_path / "a.tar")
    img = svc.resolve("h:1")
    h = svc.history("h:1")
    assert [x.Id for x in h] == [img.id, "<missing>"]
    assert [x.Size for x in h] == [1, 2]
    assert h[0].Tags == ["h:1"] and h[0].CreatedBy == "/bin/sh -c #1" and h[1].Tags is None
    s = views.image_summary(img)
    assert s.Created == 1684527564 and s.RepoTags == ["h:1"] and s.Size == 3
    assert s.SharedSize == -1 and s.Containers == -1
    i = views.image_inspect(img, svc.graph_driver_data(img))
    assert i.Created == "2023-05-19T20:19:24.435123497Z"
    assert i.Config.Cmd == ["sh"] and i.Config.Env == ["PATH=/bin"]
    assert i.RootFS.Layers == img.config["rootfs"]["diff_ids"]
    assert i.GraphDriver.Name == "overlay2" and "LowerDir" in (i.GraphDriver.Data or {})


def test_load_docker_2010_archive_with_symlinked_layer(svc: ImageService, tmp_path: Path) -> None:
    l1 = layer_tar({"x": b"same"})
    iid = docker_2010_archive(
        tmp_path / "a.tar", [l1, layer_tar({"y": b"2"}), l1], ["busybox:latest", "reg:5000/bb:t"]
    )
    assert svc.load(tmp_path / "a.tar") == [
        "Loaded image: busybox:latest",
        "Loaded image: reg:5000/bb:t",
    ]
    img = svc.resolve("reg:5000/bb:t")
    assert img.id == iid and len(img.layers) == 3
    untagged = docker_2010_archive(tmp_path / "b.tar", [layer_tar({"z": b"1"})], [])
    assert svc.load(tmp_path / "b.tar") == [f"Loaded image ID: {untagged}"]


def test_save_is_docker_archive_and_oci_layout(svc: ImageService, tmp_path: Path) -> None:
    iid = svc.bootstrap("busybox")
    svc.tag("busybox", "mine:1")
    out = io.BytesIO()
    svc.save(["busybox", "mine:1"], out)
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tf:
        names = set(tf.getnames())
        manifest = json.load(tf.extractfile("manifest.json"))  # type: ignore[arg-type]
        index = json.load(tf.extractfile("index.json"))  # type: ignore[arg-type]
        layout = json.load(tf.extractfile("oci-layout"))  # type: ignore[arg-type]
        for n in names:
            if n.startswith("blobs/sha256/") and len(n) == 77:
                assert sha(tf.extractfile(n).read()) == n[13:]  # type: ignore[union-attr]
    assert layout == {"imageLayoutVersion": "1.0.0"}
    assert manifest[0]["Config"] == f"blobs/sha256/{iid[7:]}"
    assert manifest[0]["RepoTags"] == ["busybox:latest", "mine:1"]
    assert all(p in names for p in manifest[0]["Layers"])
    assert {m["annotations"]["io.containerd.image.name"] for m in index["manifests"]} == {
        "docker.io/library/busybox:latest",
        "docker.io/library/mine:1",
    }
    assert "repositories" in names


def test_save_load_round_trip_and_oci_only(svc: ImageService, tmp_path: Path) -> None:
    iid = svc.bootstrap("busybox")
    with open(tmp_path / "s.tar", "wb") as f:
        svc.save(["busybox"], f)
    with open(tmp_path / "o.tar", "wb") as f:
        svc.save_oci(["busybox"], f)
    svc.remove("busybox")
    assert svc.list() == [] and list(svc.content.walk()) == []
    assert svc.load(tmp_path / "s.tar") == ["Loaded image: busybox:latest"]
    assert svc.resolve("busybox").id == iid
    svc.remove("busybox")
    assert svc.load(tmp_path / "o.tar") == ["Loaded image: busybox:latest"]  # index.json path
    img = svc.resolve("busybox")
    assert img.id == iid
    assert svc.snapshotter.exists(img.top_snapshot or "")


def _store_state(svc: ImageService) -> tuple[object, ...]:
    return (
        [i.id for i in svc.list()],
        sorted(b.digest for b in svc.content.walk()),
        sorted(s.key for s in svc.snapshotter.walk()),
    )


def test_corrupt_or_truncated_load_changes_nothing(svc: ImageService, tmp_path: Path) -> None:
    svc.bootstrap("busybox")
    before = _store_state(svc)
    good = tmp_path / "good.tar"
    docker_2010_archive(
        good, [layer_tar({"a": b"1" * 5000}), layer_tar({"b": b"2" * 5000})], ["x:1"]
    )
    data = good.read_bytes()
    # truncated
    (tmp_path / "t.tar").write_bytes(data[: len(data) // 2])
    with pytest.raises((DataCorruption, InvalidArgument)):
        svc.load(tmp_path / "t.tar")
    assert _store_state(svc) == before
    # a flipped byte inside the second layer's content
    i = data.index(b"2" * 5000)
    bad = data[:i] + b"3" + data[i + 1 :]
    (tmp_path / "c.tar").write_bytes(bad)
    with pytest.raises(DataCorruption, match="diff_id"):
        svc.load(tmp_path / "c.tar")
    assert _store_state(svc) == before
    # not a tar at all
    (tmp_path / "g.tar").write_bytes(b"garbage" * 100)
    with pytest.raises(InvalidArgument):
        svc.load(tmp_path / "g.tar")
    assert _store_state(svc) == before
    assert svc.load(good) == ["Loaded image: x:1"]


def test_load_oci_layout_names_from_annotations(svc: ImageService, tmp_path: Path) -> None:
    from pallet.oci import manifest as om

    layer = gzip.compress(layer_tar({"f": b"oci"}), mtime=0)
    diff = "sha256:" + sha(gzip.decompress(layer))
    cfg = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [diff]},
        }
    ).encode()
    man = json.dumps(
        om.manifest(
            om.descriptor(
                "application/vnd.oci.image.config.v1+json", "sha256:" + sha(cfg), len(cfg)
            ),
            [
                om.descriptor(
                    "application/vnd.oci.image.layer.v1.tar+gzip",
                    "sha256:" + sha(layer),
                    len(layer),
                )
            ],
        )
    ).encode()
    idx = json.dumps(
        om.index(
            [
                om.descriptor(
                    "application/vnd.oci.image.manifest.v1+json",
                    "sha256:" + sha(man),
                    len(man),
                    {"org.opencontainers.image.ref.name": "example.com/oci/app:2"},
                )
            ]
        )
    ).encode()
    with tarfile.open(tmp_path / "oci.tar", "w") as tf:
        for name, data in [
            ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
            ("index.json", idx),
            *[(f"blobs/sha256/{sha(b)}", b) for b in (layer, cfg, man)],
        ]:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    assert svc.load(tmp_path / "oci.tar") == ["Loaded image: example.com/oci/app:2"]
    img = svc.resolve("example.com/oci/app:2")
    assert img.manifest_digest == "sha256:" + sha(man)
    assert img.layers[0].media_type.endswith("+gzip")


def test_the_typed_config_only_reads_the_stored_document(svc: ImageService, tmp_path: Path) -> None:
    """``run_config`` is the ``config`` object typed; reading it leaves the stored bytes (whose
    digest is the image ID) and the document as they were."""
    iid = _import(svc, tmp_path, {"f": b"x"}, "typed:1",
                  ["CMD [\"sh\"]", "EXPOSE 80", "LABEL k=v", "HEALTHCHECK CMD true"])
    img = svc.get(iid)
    stored = svc.content.read(iid)
    document = json.loads(stored)
    cfg = img.run_config
    assert (cfg.Cmd, cfg.Labels, list(cfg.ExposedPorts or {})) == (["sh"], {"k": "v"}, ["80/tcp"])
    assert cfg.Healthcheck and cfg.Healthcheck.Test == ["CMD-SHELL", "true"]
    assert f"sha256:{sha(stored)}" == iid and svc.content.read(iid) == stored
    assert img.config == document and svc.get(iid).run_config == cfg
