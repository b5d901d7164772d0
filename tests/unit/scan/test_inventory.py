"""The inventory read from layers: tar walking, whiteouts, attribution, cache."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from pallet.scancore.archive import read_saved
from pallet.scancore.cache import LayerCache
from pallet.scancore.inventory import build, layer_infos
from pallet.scancore.layerfiles import read_layer, wanted
from pallet.scancore.layers import layer_files
from pallet.scancore.model import Inventory
from pallet.scancore.tarwalk import TarWalk
from pallet.testing.scan_images import (
    DEBIAN_OS_RELEASE,
    dpkg_stanza,
    layer_tar,
    save_archive,
    sha,
    tar_of,
)

STATUS1 = dpkg_stanza("libc6", "2.36-9", "glibc") + dpkg_stanza("openssl", "3.0.11-1~deb12u1")
STATUS2 = STATUS1.replace("3.0.11-1~deb12u1", "3.0.9-1") + dpkg_stanza("curl", "7.88.1-10")
META = b"Metadata-Version: 2.1\nName: Requests\nVersion: 2.19.0\nLicense: Apache 2.0\n\nbody\n"


def _inventory(layers: list[bytes], created_by: list[str], cache: LayerCache | None = None
               ) -> Inventory:
    saved = read_saved(io.BytesIO(save_archive(layers, created_by)), cache)
    return build("img", saved.image_id, layer_infos(saved.config), saved.layers)


def _base() -> bytes:
    return layer_tar({"usr/lib/os-release": DEBIAN_OS_RELEASE,
                      "var/lib/dpkg/status": STATUS1.encode()},
                     symlinks={"etc/os-release": "../usr/lib/os-release"})


def test_packages_are_attributed_to_the_layer_that_installed_their_version() -> None:
    top = layer_tar({"var/lib/dpkg/status": STATUS2.encode(),
                     "usr/lib/python3/dist-packages/requests-2.19.0.dist-info/METADATA": META,
                     "app/node_modules/@babel/core/package.json":
                         b'{"name": "@babel/core", "version": "7.0.0", "license": "MIT"}'})
    inv = _inventory([_base(), top], ["/bin/sh -c #(nop) ADD file:abc in / ",
                                      "/bin/sh -c apt-get install -y curl"])
    by = {p.name: p for p in inv.packages}
    assert inv.os.id == "debian" and inv.os.version_id == "12"
    assert by["libc6"].layer == sha(_base()) and by["libc6"].created_by == "ADD file:abc in /"
    assert by["libc6"].source == "glibc" and "upstream=glibc" in by["libc6"].purl
    # openssl changed version in the top layer: the top layer is where 3.0.9-1 came from
    assert by["openssl"].version == "3.0.9-1" and by["openssl"].layer == sha(top)
    assert by["curl"].created_by == "RUN apt-get install -y curl"
    assert by["Requests"].purl == "pkg:pypi/requests@2.19.0"
    assert by["@babel/core"].purl == "pkg:npm/%40babel/core@7.0.0"
    assert by["@babel/core"].licenses == ["MIT"]
    assert by["curl"].purl == "pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12"


def test_whiteouts_remove_packages_of_lower_layers() -> None:
    site = "usr/lib/python3/dist-packages/requests-2.19.0.dist-info"
    mid = layer_tar({f"{site}/METADATA": META})
    top = layer_tar({}, whiteouts=[site])
    inv = _inventory([_base(), mid, top], ["ADD", "RUN pip install", "RUN pip uninstall"])
    assert "Requests" not in {p.name for p in inv.packages}
    assert {p.name for p in inv.packages} == {"libc6", "openssl"}


def test_opaque_directory_hides_lower_contents() -> None:
    mid = layer_tar({"opt/app/node_modules/left-pad/package.json":
                     b'{"name":"left-pad","version":"1.0.0"}'})
    top = layer_tar({"opt/app/node_modules/.wh..wh..opq": b""})
    inv = _inventory([_base(), mid, top], ["ADD", "RUN npm i", "RUN rm -rf; mkdir"])
    assert "left-pad" not in {p.name for p in inv.packages}


def test_apk_and_distroless_status_d_and_rpm_warning() -> None:
    apk_db = b"C:Q1abc\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\nL:MIT\n\nP:busybox\nV:1.36.1-r5\n"
    os_rel = b'ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n'
    alpine = layer_tar({"lib/apk/db/installed": apk_db, "etc/os-release": os_rel,
                        "var/lib/rpm/rpmdb.sqlite": b"x"})
    inv = _inventory([alpine], ["ADD"])
    assert [(p.name, p.version, p.type) for p in inv.packages] == [
        ("busybox", "1.36.1-r5", "apk"), ("musl", "1.2.4-r2", "apk")]
    assert inv.packages[1].licenses == ["MIT"]
    assert any("RPM" in w for w in inv.warnings)
    distroless = layer_tar({"var/lib/dpkg/status.d/base": dpkg_stanza("base-files", "12.4")
                            .replace("Status: install ok installed\n", "").encode(),
                            "var/lib/dpkg/status.d/base.md5sums": b"x"})
    assert [p.name for p in _inventory([distroless], ["ADD"]).packages] == ["base-files"]


def test_tarwalk_reads_gnu_and_pax_long_names() -> None:
    deep = "usr/lib/python3/dist-packages/" + "x" * 120 + "-1.0.dist-info/METADATA"
    for gnu in (True, False):
        layer = read_layer(io.BytesIO(layer_tar({deep: META, "big": b"z" * 5000}, gnu=gnu)),
                           "sha256:" + "0" * 64)
        assert list(layer.files) == [deep]
    names = [m.name for m in TarWalk(io.BytesIO(layer_tar({"./a//b": b"1", "c": b""})))]
    assert names == ["a/b", "c"]


def test_wanted_paths() -> None:
    assert wanted("var/lib/dpkg/status")
    assert wanted("srv/app/node_modules/@scope/pkg/package.json")
    assert not wanted("srv/app/node_modules/pkg/lib/package.json")
    assert not wanted("srv/app/package.json")
    assert wanted("usr/local/lib/python3.11/site-packages/flask-3.0.0.dist-info/METADATA")
    assert wanted("usr/lib/python3/dist-packages/foo.egg-info")
    assert not wanted("var/lib/dpkg/status.d/x/y")


def test_gzip_layer_gets_its_diff_id_and_the_cache_answers_by_both_digests(
        tmp_path: Path) -> None:
    plain = _base()
    packed = gzip.compress(plain)
    cache = LayerCache(tmp_path)
    found = layer_files(io.BytesIO(packed), sha(packed), cache)
    assert found.diff_id == sha(plain)
    assert cache.get(sha(packed)) == found and cache.get(sha(plain)) == found


def test_second_read_of_an_archive_uses_the_cache(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    first = _inventory([_base()], ["ADD"], cache)
    # a cached layer is not read again: the same archive with garbage in place of the
    # layer's bytes still gives the cached answer
    layer_name = "blobs/sha256/" + sha(_base()).removeprefix("sha256:")
    with tarfile.open(fileobj=io.BytesIO(save_archive([_base()], ["ADD"]))) as src:
        members = [(m.name, b"not a tar" * 1000 if m.name == layer_name
                    else src.extractfile(m).read())  # type: ignore[union-attr]
                   for m in src.getmembers()]
    saved = read_saved(io.BytesIO(tar_of(members)), cache)
    assert build("img", saved.image_id, layer_infos(saved.config), saved.layers) == first
    assert len(list(cache.root.joinpath("layers").iterdir())) == 1


def test_oci_only_archive() -> None:
    saved = read_saved(io.BytesIO(save_archive([_base()], ["ADD"], oci_only=True)), None)
    assert saved.layers[0].diff_id == sha(_base())
    assert tarfile.is_tarfile(io.BytesIO(_base()))


@pytest.mark.parametrize(("created_by", "shown"), [
    ("/bin/sh -c #(nop) ADD file:abc in / ", "ADD file:abc in /"),
    ("/bin/sh -c #(nop)  CMD [\"bash\"]", 'CMD ["bash"]'),
    ("/bin/sh -c apt-get install -y curl", "RUN apt-get install -y curl"),
    ("|2 A=1 B=2 /bin/sh -c make", "RUN make"),
    ("RUN /bin/sh -c dpkg -i /tmp/p.deb # buildkit", "RUN dpkg -i /tmp/p.deb"),
    ("COPY p.deb /tmp/p.deb # buildkit", "COPY p.deb /tmp/p.deb"),
])
def test_history_instructions_read_as_dockerfile_lines(created_by: str, shown: str) -> None:
    config = {"rootfs": {"diff_ids": ["sha256:" + "1" * 64]},
              "history": [{"created_by": "ENV X=1", "empty_layer": True},
                          {"created_by": created_by}]}
    assert layer_infos(config)[0].created_by == shown


class _Pipe(io.RawIOBase):
    """A non-seekable stream (a socket's body), handing out small pieces."""

    def __init__(self, data: bytes) -> None:
        self._src = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        chunk = self._src.read(min(len(b), 7000))
        b[: len(chunk)] = chunk
        return len(chunk)


def test_streamed_and_seekable_archives_give_the_same_inventory() -> None:
    big = layer_tar({"var/lib/dpkg/status": STATUS2.encode(), "blob": b"x" * (5 << 20),
                     "usr/lib/python3/dist-packages/requests-2.19.0.dist-info/METADATA": META})
    archive = save_archive([_base(), big], ["ADD", "RUN x"])
    streamed = read_saved(io.BufferedReader(_Pipe(archive)), None)
    seekable = read_saved(io.BytesIO(archive), None)
    assert streamed.layers == seekable.layers
    assert {p for lf in streamed.layers for p in lf.files} == {
        "usr/lib/os-release", "var/lib/dpkg/status",
        "usr/lib/python3/dist-packages/requests-2.19.0.dist-info/METADATA"}


def test_go_binaries_list_the_toolchain_and_modules() -> None:
    from pallet.testing.scan_images import go_binary

    mods = ("path\texample.com/app\nmod\texample.com/app\t(devel)\t\n"
            "dep\tgolang.org/x/net\tv0.17.0\th1:abc=\n"
            "dep\tgithub.com/old/lib\tv1.0.0\th1:def=\n=>\tgithub.com/new/lib\tv1.2.0\th1:ghi=\n"
            "build\tGOOS=linux")
    binary = go_binary("go1.21.3", mods)
    layer = layer_tar({"usr/local/bin/app": binary, "usr/local/bin/data": binary,
                       "etc/os-release": DEBIAN_OS_RELEASE}, executables=["usr/local/bin/app"])
    inv = _inventory([layer], ["COPY app /usr/local/bin/"])
    found = [(p.name, p.version, p.purl) for p in inv.packages if p.path == "usr/local/bin/app"]
    assert sorted(found) == [
        ("github.com/new/lib", "v1.2.0", "pkg:golang/github.com/new/lib@v1.2.0"),
        ("golang.org/x/net", "v0.17.0", "pkg:golang/golang.org/x/net@v0.17.0"),
        ("stdlib", "v1.21.3", "pkg:golang/stdlib@v1.21.3"),
    ]
    # not executable: not read
    assert not [p for p in inv.packages if p.path == "usr/local/bin/data"]
    streamed = read_saved(io.BufferedReader(_Pipe(save_archive([layer], ["COPY"]))), None)
    assert streamed.layers == read_saved(io.BytesIO(save_archive([layer], ["COPY"])), None).layers


def test_docker_24_archive_layers_named_by_v1_id_are_cached_by_diff_id(tmp_path: Path) -> None:
    import json

    layer = _base()
    config = json.dumps({"rootfs": {"type": "layers", "diff_ids": [sha(layer)]},
                         "history": [{"created_by": "ADD rootfs /"}]}).encode()
    v1 = "ab" * 32  # an ID that is not the layer's digest
    members = {f"{v1}/VERSION": b"1.0", f"{v1}/layer.tar": layer,
               sha(config).removeprefix("sha256:") + ".json": config,
               "manifest.json": json.dumps([{"Config": sha(config).removeprefix("sha256:")
                                             + ".json", "Layers": [f"{v1}/layer.tar"]}]).encode()}
    cache = LayerCache(tmp_path)
    saved = read_saved(io.BytesIO(tar_of(members.items())), cache)
    assert saved.layers[0].diff_id == sha(layer)
    assert cache.get(sha(layer)) == saved.layers[0]
    assert cache.get("sha256:" + v1) is None
