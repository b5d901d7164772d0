"""The image config of ``docker commit``: dockerd's merge, history and names (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from pallet.engine.commit import target_name
from pallet.engine.commitconfig import CommitRequest, image_doc, merge, new_config
from pallet.errors import InvalidArgument

CTR: dict[str, Any] = {
    "Hostname": "abc", "Image": "busybox", "AttachStdout": True, "Tty": True,
    "User": "app", "Env": ["PATH=/bin", "A=1"], "Cmd": ["sh", "-c", "echo hi > /x"],
    "Labels": {"from": "ctr"}, "ExposedPorts": {"80/tcp": {}}, "WorkingDir": "/srv",
    "StopSignal": "SIGINT", "Healthcheck": {"Test": ["CMD", "true"], "Retries": 3},
}
PARENT: dict[str, Any] = {
    "architecture": "amd64", "os": "linux", "author": "base author", "comment": "Imported",
    "created": "2020-01-01T00:00:00Z", "config": {"Cmd": ["sh"]},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "1" * 64]},
    "history": [{"created": "2020-01-01T00:00:00Z", "created_by": "ADD rootfs"}],
    "container_config": {"Cmd": ["x"]},
}


def test_without_a_body_the_container_config_is_kept_minus_per_container_keys() -> None:
    cfg = new_config(CTR, CommitRequest())
    assert cfg["Cmd"] == ["sh", "-c", "echo hi > /x"] and cfg["User"] == "app"
    assert cfg["Env"] == ["PATH=/bin", "A=1"] and cfg["Labels"] == {"from": "ctr"}
    for key in ("Hostname", "Image", "AttachStdout", "Tty"):
        assert key not in cfg


def test_changes_apply_on_top_of_the_container_config() -> None:
    cfg = new_config(CTR, CommitRequest(changes=("ENV A=2 B=$A", 'ENTRYPOINT ["top"]')))
    assert cfg["Env"] == ["PATH=/bin", "A=2", "B=1"]
    assert cfg["Entrypoint"] == ["top"] and "Cmd" not in cfg  # as dockerd: CMD cleared


def test_a_body_config_is_merged_with_the_container_config() -> None:
    body = {"Env": ["A=body"], "Labels": {"l": "v"}, "ExposedPorts": {"443/tcp": {}}}
    cfg = new_config(CTR, CommitRequest(config=body, changes=("LABEL c=1",)))
    assert cfg["Env"] == ["A=body", "PATH=/bin"]  # body first, then the container's new keys
    assert cfg["Labels"] == {"from": "ctr", "l": "v", "c": "1"}
    assert set(cfg["ExposedPorts"]) == {"80/tcp", "443/tcp"}
    assert cfg["Cmd"] == CTR["Cmd"] and cfg["WorkingDir"] == "/srv"
    assert cfg["StopSignal"] == "SIGINT" and cfg["Healthcheck"]["Retries"] == 3


def test_merge_keeps_an_explicit_entrypoint_and_its_cmd() -> None:
    out = merge({"Entrypoint": ["top"], "Cmd": None}, {"Cmd": ["sh"], "Entrypoint": ["x"]})
    assert out["Entrypoint"] == ["top"] and out["Cmd"] is None
    out = merge({}, {"Cmd": ["sh"], "Entrypoint": ["x"]})
    assert out["Entrypoint"] == ["x"] and out["Cmd"] == ["sh"]


def test_bad_change_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="run is not a valid change command"):
        new_config(CTR, CommitRequest(changes=("RUN true",)))


def test_image_doc_history_author_comment() -> None:
    req = CommitRequest(author="me", comment="snapshot")
    cfg = new_config(CTR, req)
    doc = image_doc(PARENT, cfg, CTR, req, "2024-05-01T00:00:00Z", empty_layer=False)
    assert doc["author"] == "me" and doc["comment"] == "snapshot"
    assert doc["created"] == "2024-05-01T00:00:00Z" and doc["config"] == cfg
    assert "container_config" not in doc and "rootfs" not in doc
    assert doc["history"][-1] == {"created": "2024-05-01T00:00:00Z",
                                  "created_by": "sh -c echo hi > /x",
                                  "author": "me", "comment": "snapshot"}
    assert len(doc["history"]) == 2
    empty = image_doc(PARENT, cfg, CTR, CommitRequest(), "t", empty_layer=True)
    assert empty["history"][-1] == {"created": "t", "created_by": "sh -c echo hi > /x",
                                    "empty_layer": True}
    assert "author" not in empty and "comment" not in empty  # not the parent's


def test_history_is_padded_to_the_parent_layers() -> None:
    parent = {**PARENT, "history": []}
    doc = image_doc(parent, {}, CTR, CommitRequest(), "t", empty_layer=False)
    assert doc["history"] == [{"created": "2020-01-01T00:00:00Z"},
                              {"created": "t", "created_by": "sh -c echo hi > /x"}]


@pytest.mark.parametrize("repo, tag, want", [
    ("", "", None),
    ("snap", "", "docker.io/library/snap:latest"),
    ("snap", "v1", "docker.io/library/snap:v1"),
    ("snap:v2", "", "docker.io/library/snap:v2"),  # the docker CLI's repo=name:tag
    ("localhost:5000/x/y", "", "localhost:5000/x/y:latest"),
])
def test_target_name(repo: str, tag: str, want: str | None) -> None:
    assert target_name(repo, tag) == want


@pytest.mark.parametrize("repo, tag", [("", "v1"), ("UPPER", ""), ("a", "bad tag")])
def test_target_name_refused(repo: str, tag: str) -> None:
    with pytest.raises(InvalidArgument):
        target_name(repo, tag)
