"""palletd's one configuration: flags over environment over daemon.json over defaults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pallet.daemon.config import DEFAULT_LOG_OPTS, load
from pallet.errors import InvalidArgument


def test_defaults_without_a_file(tmp_path: Path) -> None:
    c = load(["--root", str(tmp_path)], env={})
    assert (c.root, c.runtime, c.group, c.log_driver) == (tmp_path, "crun", "pallet", "json-file")
    assert c.log_opts == DEFAULT_LOG_OPTS and c.metrics is False and c.bridge_name is None


def test_flags_over_environment_over_file(tmp_path: Path) -> None:
    (tmp_path / "daemon.json").write_text(json.dumps({
        "default-runtime": "runc", "bridge": "br-file", "bip": "10.55.0.1/16",
        "log-driver": "k8s-file", "log-opts": {"max-size": "1m"}, "metrics": True,
        "insecure-registries": ["reg.local:5000"]}))
    c = load(["--root", str(tmp_path)], env={})
    assert (c.runtime, c.bridge_name, c.bridge_subnet) == ("runc", "br-file", "10.55.0.0/16")
    assert (c.log_driver, c.log_opts, c.metrics) == ("k8s-file", {"max-size": "1m"}, True)
    assert c.insecure_registries == ("reg.local:5000",)
    env = {"PALLET_RUNTIME": "crun", "PALLET_BRIDGE_NAME": "br-env", "PALLET_METRICS": "0"}
    c = load(["--root", str(tmp_path)], env=env)
    assert (c.runtime, c.bridge_name, c.metrics) == ("crun", "br-env", False)
    c = load(["--root", str(tmp_path), "--bridge-name", "br-flag", "--runtime", "runc"], env=env)
    assert (c.runtime, c.bridge_name) == ("runc", "br-flag")


def test_root_from_the_environment_finds_its_file(tmp_path: Path) -> None:
    (tmp_path / "daemon.json").write_text('{"group": "ops"}')
    assert load([], env={"PALLET_ROOT": str(tmp_path)}).group == "ops"


@pytest.mark.parametrize("doc, word", [
    ('{"log-driverr": "x"}', "log-driverr"),
    ('{"metrics": "yes"}', "metrics"),
    ('{"bip": "nonsense"}', "bip"),
    ("[1]", "daemon.json"),
    ("{", "not valid JSON"),
])
def test_bad_file_names_the_file_and_key(tmp_path: Path, doc: str, word: str) -> None:
    (tmp_path / "daemon.json").write_text(doc)
    with pytest.raises(InvalidArgument, match=word):
        load(["--root", str(tmp_path)], env={})


def test_named_file_must_exist_and_runtime_is_checked(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="no such configuration file"):
        load(["--config-file", str(tmp_path / "nope.json")], env={})
    with pytest.raises(InvalidArgument, match="unknown runtime"):
        load(["--root", str(tmp_path), "--runtime", "kata"], env={})
