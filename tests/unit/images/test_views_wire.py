"""The image views on the wire: dockerd's keys in dockerd's order, Go's ``omitempty`` kept."""

from __future__ import annotations

import msgspec
import pytest

from pallet.api.view_images import ImageInspect, ImageSummary
from pallet.errors import DataCorruption
from pallet.images import views
from pallet.images.model import Image, Layer

LAYER = Layer("sha256:blob", "sha256:diff", "application/x-tar", 10, 7, "sha256:chain")


def _image(config: dict[str, object]) -> Image:
    return Image("sha256:" + "1" * 64, ["a:1"], ["a@sha256:" + "2" * 64], config, 7,
                 "2023-05-19T20:19:24.435123497Z", None, [LAYER])


def test_summary_keys_and_values() -> None:
    doc = msgspec.json.decode(msgspec.json.encode(views.image_summary(
        _image({"config": {"Labels": {"k": "v"}}}))))
    assert list(doc) == ["Id", "ParentId", "RepoTags", "RepoDigests", "Created", "Size",
                         "SharedSize", "VirtualSize", "Labels", "Containers"]
    assert doc["Created"] == 1684527564 and doc["Labels"] == {"k": "v"}
    assert doc["SharedSize"] == -1 and doc["Containers"] == -1 and doc["VirtualSize"] == 7


def test_inspect_omits_what_go_omits_and_keeps_nulls() -> None:
    img = _image({"architecture": "arm64", "variant": "v8", "os": "linux",
                  "config": {"Cmd": ["sh"], "ExposedPorts": {"80/tcp": {}}, "Healthcheck": None,
                             "Healthcheck2": 1, "Shell": ["/bin/sh", "-c"]}})
    doc = msgspec.json.decode(msgspec.json.encode(views.image_inspect(img)))
    assert list(doc) == ["Id", "RepoTags", "RepoDigests", "Parent", "Comment", "Created",
                         "DockerVersion", "Author", "Container", "ContainerConfig", "Config",
                         "Architecture", "Variant", "Os", "Size", "VirtualSize", "GraphDriver",
                         "RootFS", "Metadata"]
    cfg = doc["Config"]
    assert list(cfg) == ["Hostname", "Domainname", "User", "AttachStdin", "AttachStdout",
                         "AttachStderr", "ExposedPorts", "Tty", "OpenStdin", "StdinOnce", "Env",
                         "Cmd", "Image", "Volumes", "WorkingDir", "Entrypoint", "OnBuild",
                         "Labels", "Shell"]
    assert cfg["ExposedPorts"] == {"80/tcp": {}} and cfg["Env"] is None and cfg["Cmd"] == ["sh"]
    assert "Healthcheck" not in doc["ContainerConfig"] and doc["ContainerConfig"]["Cmd"] is None
    assert doc["GraphDriver"] == {"Name": "overlay2", "Data": None}
    assert doc["RootFS"] == {"Type": "layers", "Layers": ["sha256:diff"]}
    assert doc["Metadata"] == {"LastTagTime": "0001-01-01T00:00:00Z"}
    assert doc["Variant"] == "v8" and doc["Architecture"] == "arm64"


def test_inspect_without_variant_and_the_client_decodes_both() -> None:
    img = _image({"config": {"Healthcheck": {"Test": ["CMD", "true"], "Interval": 5}}})
    raw = msgspec.json.encode(views.image_inspect(img, {"LowerDir": "/l"}))
    doc = msgspec.json.decode(raw)
    assert "Variant" not in doc and doc["GraphDriver"]["Data"] == {"LowerDir": "/l"}
    assert doc["Config"]["Healthcheck"] == {"Test": ["CMD", "true"], "Interval": 5}
    back = msgspec.json.decode(raw, type=ImageInspect)
    assert back.Config.Healthcheck is not msgspec.UNSET and back.RootFS.Layers == ["sha256:diff"]
    summary = msgspec.json.decode(msgspec.json.encode(views.image_summary(img)),
                                  type=ImageSummary)
    assert summary.RepoDigests == ["a@sha256:" + "2" * 64]


def test_inspect_reads_the_docker_fields_and_refuses_a_corrupt_config() -> None:
    img = _image({"parent": "sha256:p", "comment": "c", "docker_version": "24.0.7",
                  "author": "me", "container": "abc", "os": "linux", "variant": None,
                  "container_config": {"Cmd": ["/bin/sh", "-c", "#(nop) CMD"]}, "config": {}})
    doc = msgspec.json.decode(msgspec.json.encode(views.image_inspect(img)))
    assert [doc[k] for k in ("Parent", "Comment", "DockerVersion", "Author", "Container",
                             "Os")] == ["sha256:p", "c", "24.0.7", "me", "abc", "linux"]
    assert "Variant" not in doc and doc["Architecture"] == ""
    assert doc["ContainerConfig"]["Cmd"] == ["/bin/sh", "-c", "#(nop) CMD"]
    with pytest.raises(DataCorruption, match="not an image config"):
        views.image_inspect(_image({"os": 7, "config": {}}))
    with pytest.raises(DataCorruption, match="not a container config"):
        views.image_inspect(_image({"config": {"Env": "A=1"}}))
