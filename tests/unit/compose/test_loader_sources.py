"""Which files, directory, name, environment and profiles a project gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from pallet.compose.errors import ComposeError
from pallet.testing.composefiles import load_in

SVC = "services:\n  web:\n    image: {}\n"


@pytest.mark.parametrize(("present", "chosen"), [
    (["compose.yaml", "compose.yml", "docker-compose.yml"], "compose.yaml"),
    (["compose.yml", "docker-compose.yml", "docker-compose.yaml"], "compose.yml"),
    (["docker-compose.yml", "docker-compose.yaml"], "docker-compose.yml"),
    (["docker-compose.yaml"], "docker-compose.yaml"),
])
def test_lookup_order(tmp_path: Path, present: list[str], chosen: str) -> None:
    project = load_in(tmp_path, {n: SVC.format(n.replace(".", "-")) for n in present})
    assert project.services["web"].image == chosen.replace(".", "-")
    assert project.compose_files == [str(tmp_path / chosen)]


def test_lookup_walks_up_and_takes_the_override_beside_the_file(tmp_path: Path) -> None:
    files = {"app/compose.yaml": SVC.format("base"),
             "app/compose.override.yaml": SVC.format("over"),
             "app/deep/er/.keep": ""}
    project = load_in(tmp_path, files, cwd="app/deep/er")
    assert project.services["web"].image == "over"
    assert project.name == "app" and project.working_dir == str(tmp_path / "app")


def test_no_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ComposeError, match="no configuration file provided"):
        load_in(tmp_path, {})


def test_compose_file_variable_and_separator(tmp_path: Path) -> None:
    files = {"a.yml": SVC.format("a"), "b.yml": SVC.format("b")}
    project = load_in(tmp_path, files, env={"COMPOSE_FILE": "a.yml;b.yml",
                                           "COMPOSE_PATH_SEPARATOR": ";"})
    assert project.services["web"].image == "b"


@pytest.mark.parametrize(("opts", "env", "text", "expected"), [
    ({"project_name": "flag"}, {"COMPOSE_PROJECT_NAME": "envname"}, "name: file\n", "flag"),
    ({}, {"COMPOSE_PROJECT_NAME": "envname"}, "name: file\n", "envname"),
    ({}, {}, "name: File_Name.1\n", "file_name1"),
    ({}, {"N": "from-var"}, "name: ${N}\n", "from-var"),
    ({}, {}, "", "my_proj-1"),
])
def test_project_name_precedence(tmp_path: Path, opts: dict[str, str], env: dict[str, str],
                                 text: str, expected: str) -> None:
    root = tmp_path / "My_Proj-1"
    root.mkdir()
    project = load_in(root, {"compose.yaml": text + SVC.format("x")}, env=env, **opts)
    assert project.name == expected


def test_invalid_explicit_project_name(tmp_path: Path) -> None:
    with pytest.raises(ComposeError, match='invalid project name "Bad Name"'):
        load_in(tmp_path, {"compose.yaml": SVC.format("x")}, project_name="Bad Name")


def test_project_name_is_available_to_interpolation(tmp_path: Path) -> None:
    project = load_in(tmp_path, {"compose.yaml": "name: demo\n" + SVC.format(
        "${COMPOSE_PROJECT_NAME}-img")})
    assert project.services["web"].image == "demo-img"


def test_shell_environment_wins_over_dotenv(tmp_path: Path) -> None:
    files = {".env": "TAG=fromfile\nOTHER=file\n",
             "compose.yaml": SVC.format("busybox:${TAG}-${OTHER}")}
    project = load_in(tmp_path, files, env={"TAG": "shell"})
    assert project.services["web"].image == "busybox:shell-file"


def test_env_file_flag_replaces_dotenv(tmp_path: Path) -> None:
    files = {".env": "TAG=dotenv\n", "prod.env": "TAG=prod\n",
             "compose.yaml": SVC.format("img:${TAG:-none}")}
    assert load_in(tmp_path, files, env_files=("prod.env",)).services["web"].image == "img:prod"


def test_missing_env_file_flag_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ComposeError, match="couldn't find env file"):
        load_in(tmp_path, {"compose.yaml": SVC.format("x")}, env_files=("nope.env",))


def test_project_directory_flag_sets_dotenv_and_relative_paths(tmp_path: Path) -> None:
    files = {"proj/.env": "TAG=proj\n",
             "files/compose.yaml": SVC.format("i:${TAG}") + "    volumes: [./d:/d]\n"}
    project = load_in(tmp_path, files, files=("files/compose.yaml",),
                      project_directory="proj")
    web = project.services["web"]
    assert web.image == "i:proj" and web.volumes and web.volumes[0].source == str(
        tmp_path / "proj" / "d")


PROFILED = """
services:
  web: {image: web}
  debug: {image: debug, profiles: [dev]}
  tools: {image: tools, profiles: [ops, dev]}
  admin: {image: admin, profiles: [ops]}
"""


@pytest.mark.parametrize(("profiles", "env", "enabled"), [
    ((), {}, ["web"]),
    (("dev",), {}, ["debug", "tools", "web"]),
    (("ops",), {}, ["admin", "tools", "web"]),
    ((), {"COMPOSE_PROFILES": "dev,ops"}, ["admin", "debug", "tools", "web"]),
    (("*",), {}, ["admin", "debug", "tools", "web"]),
    (("ops",), {"COMPOSE_PROFILES": "dev"}, ["admin", "tools", "web"]),
])
def test_profiles(tmp_path: Path, profiles: tuple[str, ...], env: dict[str, str],
                  enabled: list[str]) -> None:
    project = load_in(tmp_path, {"compose.yaml": PROFILED}, profiles=profiles, env=env)
    assert project.service_names() == enabled
    assert sorted([*project.services, *project.disabled]) == ["admin", "debug", "tools", "web"]


def test_a_named_service_enables_its_profiles(tmp_path: Path) -> None:
    project = load_in(tmp_path, {"compose.yaml": PROFILED}, services=("admin",))
    assert project.service_names() == ["admin", "tools", "web"]
    assert project.profiles == ["ops"]


def test_dotenv_of_the_current_directory_then_of_the_project(tmp_path: Path) -> None:
    files = {"compose.yaml": SVC.format("x:${TAG:-none}-${OTHER:-none}"),
             ".env": "TAG=parent\nOTHER=parent\n", "sub/.env": "TAG=sub\n"}
    assert load_in(tmp_path, files, cwd="sub").services["web"].image == "x:sub-parent"


def test_compose_file_and_name_may_come_from_dotenv(tmp_path: Path) -> None:
    files = {"one.yml": SVC.format("one"), "two.yml": SVC.format("two"),
             ".env": "COMPOSE_FILE=one.yml:two.yml\nCOMPOSE_PROJECT_NAME=fromenv\n"}
    project = load_in(tmp_path, files)
    assert (project.name, project.services["web"].image) == ("fromenv", "two")


def test_compose_env_files_variable(tmp_path: Path) -> None:
    files = {"compose.yaml": SVC.format("x:${TAG}"), ".env": "TAG=dotenv\n",
             "a.env": "TAG=a\n", "b.env": "TAG=b\n"}
    project = load_in(tmp_path, files, env={"COMPOSE_ENV_FILES": "a.env,b.env"})
    assert project.services["web"].image == "x:b"


def test_env_files_given_are_kept_absolute_for_the_label(tmp_path: Path) -> None:
    files = {"compose.yaml": SVC.format("x"), "a.env": "", ".env": ""}
    assert load_in(tmp_path, files, env_files=("a.env",)).env_files == [str(tmp_path / "a.env")]
    assert load_in(tmp_path, {}).env_files == []
