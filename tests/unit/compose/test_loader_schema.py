"""Schema validation and YAML errors name the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from pallet.compose.errors import ComposeError
from pallet.testing.composefiles import load_in


@pytest.mark.parametrize(("text", "message"), [
    ("services:\n  web:\n    imagee: busybox\n",
     "compose.yaml:3: services.web.imagee: additional property 'imagee' not allowed"),
    ("services:\n  web:\n    image: busybox\n    ports:\n      - target: 80\n        bogus: 1\n",
     "compose.yaml:6: services.web.ports.0.bogus: additional property 'bogus' not allowed"),
    ("services:\n  web:\n    image: busybox\n    read_only: maybe\n",
     "compose.yaml:4: services.web.read_only: must be a boolean"),
    ("services:\n  web:\n    image: [a]\n",
     "compose.yaml:3: services.web.image: must be a string"),
    ("servics:\n  web: {image: x}\n",
     "compose.yaml:1: servics: additional property 'servics' not allowed"),
    ("services:\n  web:\n    image: x\n    depends_on:\n      db: {condition: sometimes}\n",
     "compose.yaml:5: services.web.depends_on.db.condition: must be one of"),
    ("services:\n  web:\n    image: x\n    security_opt: [a, a]\n",
     "compose.yaml:4: services.web.security_opt: has duplicate items"),
    ("services:\n  web:\n    image: x\n    restart: 3\n",
     "compose.yaml:4: services.web.restart: must be a string"),
    ("networks:\n  n:\n    driverr: bridge\nservices:\n  web: {image: x}\n",
     "compose.yaml:3: networks.n.driverr: additional property 'driverr' not allowed"),
    # valid for the schema, but a key pallet's model lacks: named (the message was empty)
    ("services:\n  web:\n    image: x\n    gpus: all\n",
     "compose.yaml:4: services.web.gpus: not supported by pallet compose"),
])
def test_schema_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ComposeError) as err:
        load_in(tmp_path, {"compose.yaml": text})
    assert err.value.message.startswith(message)


def test_schema_error_in_an_override_file_names_that_file(tmp_path: Path) -> None:
    files = {"compose.yaml": "services:\n  web: {image: x}\n",
             "over.yaml": "\n\nservices:\n  web:\n    extra_key: 1\n"}
    with pytest.raises(ComposeError) as err:
        load_in(tmp_path, files, files=("compose.yaml", "over.yaml"))
    assert err.value.where == "over.yaml:5"


def test_group_add_takes_numbers_as_the_schema_does(tmp_path: Path) -> None:
    project = load_in(tmp_path, {"compose.yaml": "services:\n  web:\n    image: x\n"
                                                 "    group_add: [1, audio]\n"})
    assert project.services["web"].group_add == ["1", "audio"]


def test_interpolated_values_are_cast_before_validation(tmp_path: Path) -> None:
    text = ("services:\n  web:\n    image: x\n    read_only: ${RO}\n"
            "    deploy: {replicas: '${N}'}\n    ports: [{target: '${P}'}]\n")
    project = load_in(tmp_path, {"compose.yaml": text}, env={"RO": "true", "N": "3", "P": "80"})
    web = project.services["web"]
    assert web.read_only is True and web.replicas() == 3
    assert web.ports and web.ports[0].target == 80


@pytest.mark.parametrize(("text", "where", "fragment"), [
    ("services:\n  web:\n    image: x\n   bad: indent\n", "compose.yaml:4", "yaml:"),
    ("services:\n  web: {image: x}\n  web: {image: y}\n", "compose.yaml:3",
     "mapping key 'web' already defined"),
    ("- a\n- b\n", "compose.yaml", "top-level object must be a mapping"),
    ("services:\n  web: {image: !custom x}\n", "compose.yaml:2", "unknown tag !custom"),
    ("", "compose.yaml", "empty compose file"),
])
def test_yaml_errors(tmp_path: Path, text: str, where: str, fragment: str) -> None:
    with pytest.raises(ComposeError) as err:
        load_in(tmp_path, {"compose.yaml": text})
    assert err.value.where == where and fragment in err.value.detail


def test_yaml_12_scalars(tmp_path: Path) -> None:
    text = ("services:\n  web:\n    image: x\n"
            "    environment: {A: yes, B: on, C: 2024-01-01, D: 0x1F, E: 1.50, F: true}\n"
            "    secrets: [{source: s, mode: 0440}]\nsecrets:\n  s: {file: ./s}\n")
    web = load_in(tmp_path, {"compose.yaml": text}).services["web"]
    assert web.environment == {"A": "yes", "B": "on", "C": "2024-01-01", "D": "31",
                               "E": "1.5", "F": "true"}
    assert web.secrets and web.secrets[0].mode == 0o440


def test_alias_bombs_are_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 7)]
    text = "x-bomb:\n" + "".join(f"  {line}\n" for line in lines)
    with pytest.raises(ComposeError, match="too many nodes"):
        load_in(tmp_path, {"compose.yaml": text + "services:\n  web: {image: x}\n"})


def test_a_valid_document_is_validated_once(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import pallet.compose.schema as schema

    text = "services:\n  web: {image: cached-once}\n"
    load_in(tmp_path, {"compose.yaml": text})
    def validator() -> None:
        raise RuntimeError("validated")

    monkeypatch.setattr(schema, "_validator", validator)
    assert load_in(tmp_path, {}).services["web"].image == "cached-once"
    with pytest.raises(RuntimeError, match="validated"):  # a changed document is checked
        load_in(tmp_path, {"compose.yaml": text.replace("once", "twice")})


def test_errors_name_the_file_they_are_in_when_several_define_the_path(
        tmp_path: Path) -> None:
    files = {"compose.yaml": "services:\n  web:\n    image: x\n    ports: ['a:80']\n",
             "compose.override.yaml": "\n\n\nservices:\n  web:\n    ports: ['81:81']\n"}
    with pytest.raises(ComposeError) as err:
        load_in(tmp_path, files)
    assert err.value.where == "compose.yaml:4"
    files = {"compose.yaml": "services:\n  web:\n    image: x\n    ports: ['80:80']\n",
             "compose.override.yaml": "\n\n\nservices:\n  web:\n    ports: ['b:81']\n"}
    with pytest.raises(ComposeError) as err:
        load_in(tmp_path, files)
    assert err.value.where == "compose.override.yaml:6"
