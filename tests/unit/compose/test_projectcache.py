"""The loaded-project cache: a kept load is used only while everything it looked at is as
it was, and is then the same model the loader makes."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import msgspec
import pytest

from pallet.compose import loadcache, loader, projectcache, sources
from pallet.compose.model import Project
from pallet.compose.options import ProjectOptions

STACK = """
name: ${NAME:-demo}
services:
  web:
    image: "busybox:${TAG-latest}"
    ports: ["${PORT:-8080}:80"]
    environment: [FROM_SHELL, FIXED=1]
    env_file: [web.env]
    label_file: [web.labels]
    secrets: [pw]
    extends: {file: base.yaml, service: base}
    x-meta: {list: [1, 2.5, "three", true, null], when: "2024-01-01"}
  tool:
    image: busybox
    profiles: [tools]
secrets:
  pw:
    file: ./pw.txt
"""
FILES = {"compose.yaml": STACK, ".env": "TAG=1.36\n", "web.env": "FROM_FILE=${TAG}\n",
         "web.labels": "team=core\n", "base.yaml": "services:\n  base:\n    user: nobody\n",
         "pw.txt": "hunter2\n"}


class Counted:
    """The loader's ``load``, counting the loads that read the files."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.real = real = loader.load

        def counted(options: ProjectOptions, where: sources.Located | None = None
                    ) -> Project:
            self.calls += 1
            return real(options, where)

        monkeypatch.setattr(loader, "load", counted)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))


def _options(root: Path, env: dict[str, str] | None = None, **opts: object) -> ProjectOptions:
    environ = {"HOME": "/home/user", "FROM_SHELL": "shell", **(env or {})}
    return ProjectOptions(cwd=str(root), environ=environ, **opts)  # type: ignore[arg-type]


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counted:
    return Counted(monkeypatch)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    _write(tmp_path, FILES)
    return tmp_path


def test_a_second_load_is_kept_and_equal_to_the_loaders(root: Path, counted: Counted) -> None:
    opts = _options(root)
    first = projectcache.load(opts)
    second = projectcache.load(opts)
    assert counted.calls == 1
    expected = counted.real(opts)
    assert first == expected and second == expected
    assert second.environment["TAG"] == "1.36"
    assert second.environment["COMPOSE_PROJECT_NAME"] == "demo"
    assert second.services["web"].environment == {"FROM_FILE": "1.36", "FROM_SHELL": "shell",
                                                  "FIXED": "1"}


@pytest.mark.parametrize(("change", "check"), [
    (lambda root: (root / "compose.yaml").write_text(STACK.replace("8080", "9090")),
     lambda p: p.services["web"].ports[0].published == "9090"),
    (lambda root: (root / ".env").write_text("TAG=1.37\n"),
     lambda p: p.services["web"].image == "busybox:1.37"),
    (lambda root: (root / "web.env").write_text("FROM_FILE=changed\n"),
     lambda p: p.services["web"].environment["FROM_FILE"] == "changed"),
    (lambda root: (root / "web.labels").write_text("team=edge\n"),
     lambda p: p.services["web"].labels == {"team": "edge"}),
    (lambda root: (root / "base.yaml").write_text(
        "services:\n  base:\n    user: root\n"),
     lambda p: p.services["web"].user == "root"),
])
def test_a_changed_file_is_loaded_again(root: Path, counted: Counted, change: object,
                                        check: object) -> None:
    opts = _options(root)
    projectcache.load(opts)
    change(root)  # type: ignore[operator]
    project = projectcache.load(opts)
    assert counted.calls == 2
    assert check(project)  # type: ignore[operator]
    assert project == counted.real(opts)


@pytest.mark.parametrize(("before", "after", "check"), [
    ({"PORT": "81"}, {"PORT": "82"}, lambda p: p.services["web"].ports[0].published == "82"),
    ({}, {"PORT": "83"}, lambda p: p.services["web"].ports[0].published == "83"),
    ({}, {"NAME": "other"}, lambda p: p.name == "other"),
    ({}, {"FROM_SHELL": "new"}, lambda p: p.services["web"].environment["FROM_SHELL"] == "new"),
    ({"TAG": "2"}, {}, lambda p: p.services["web"].image == "busybox:1.36"),
    ({}, {"COMPOSE_PROFILES": "tools"}, lambda p: "tool" in p.services),
])
def test_a_changed_variable_is_loaded_again(root: Path, counted: Counted,
                                            before: dict[str, str], after: dict[str, str],
                                            check: object) -> None:
    projectcache.load(_options(root, before))
    project = projectcache.load(_options(root, after))
    assert counted.calls == 2
    assert check(project)  # type: ignore[operator]
    assert project == counted.real(_options(root, after))


def test_an_unrelated_variable_keeps_the_entry(root: Path, counted: Counted) -> None:
    projectcache.load(_options(root))
    project = projectcache.load(_options(root, {"UNRELATED": "x"}))
    assert counted.calls == 1
    assert project.environment["UNRELATED"] == "x"  # the environment is always afresh


def test_another_profile_or_option_is_another_entry(root: Path, counted: Counted) -> None:
    projectcache.load(_options(root))
    with_tools = projectcache.load(_options(root, profiles=("tools",)))
    assert "tool" in with_tools.services and counted.calls == 2
    named = projectcache.load(_options(root, project_name="named"))
    assert named.name == "named" and counted.calls == 3
    assert "tool" not in projectcache.load(_options(root)).services
    assert counted.calls == 3


def test_a_new_dotenv_is_loaded_again(tmp_path: Path, counted: Counted) -> None:
    _write(tmp_path, {k: v for k, v in FILES.items() if k != ".env"})
    assert projectcache.load(_options(tmp_path)).services["web"].image == "busybox:latest"
    (tmp_path / ".env").write_text("TAG=3\n")
    assert projectcache.load(_options(tmp_path)).services["web"].image == "busybox:3"
    assert counted.calls == 2


def test_an_include_with_env_files_depends_on_every_variable(tmp_path: Path,
                                                             counted: Counted) -> None:
    _write(tmp_path, {"compose.yaml": "include:\n  - path: sub/compose.yaml\n    env_file: "
                                      "sub.env\n",
                      "sub.env": "IMG=busybox\n",
                      "sub/compose.yaml": "services:\n  s:\n    image: ${IMG}\n"})
    projectcache.load(_options(tmp_path))
    projectcache.load(_options(tmp_path))
    assert counted.calls == 1
    project = projectcache.load(_options(tmp_path, {"ANY": "1"}))
    assert counted.calls == 2 and project.services["s"].image == "busybox"


def _entry(opts: ProjectOptions) -> Path:
    name = projectcache._key(opts, sources.locate(opts))
    return Path(loadcache.directory(loadcache.PROJECTS)) / name


@pytest.mark.parametrize("garbage", [b"", b"\x00not msgpack", msgspec.msgpack.encode([1, 2])])
def test_a_corrupt_entry_is_ignored_and_written_again(root: Path, counted: Counted,
                                                      garbage: bytes) -> None:
    opts = _options(root)
    projectcache.load(opts)
    _entry(opts).write_bytes(garbage)
    assert projectcache.load(opts) == counted.real(opts)
    assert counted.calls == 2
    assert _entry(opts).read_bytes() != garbage
    projectcache.load(opts)
    assert counted.calls == 2


def test_the_entry_is_private_and_holds_no_secret_nor_environment(root: Path) -> None:
    opts = _options(root, {"UNUSED_TOKEN": "s3cr3t-token"})
    projectcache.load(opts)
    entry = _entry(opts)
    assert os.stat(entry).st_mode & 0o777 == 0o600
    assert os.stat(entry.parent).st_mode & 0o777 == 0o700
    data = entry.read_bytes()
    assert b"hunter2" not in data and b"s3cr3t-token" not in data
    assert str(root / "pw.txt").encode() in data  # the secret's path, as the model has it


def test_stdin_is_never_kept(root: Path, counted: Counted,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    for _ in range(2):
        monkeypatch.setattr("sys.stdin", io.StringIO("services:\n  s:\n    image: x\n"))
        assert projectcache.load(_options(root, files=("-",))).services["s"].image == "x"
    assert counted.calls == 2


def test_a_failed_load_is_not_kept(root: Path, counted: Counted) -> None:
    from pallet.compose.errors import ComposeError

    (root / "web.env").unlink()
    for _ in range(2):
        with pytest.raises(ComposeError, match=r"env file .* not found"):
            projectcache.load(_options(root))
    assert counted.calls == 2


def test_a_model_msgpack_cannot_hold_is_loaded_each_time(tmp_path: Path,
                                                         counted: Counted) -> None:
    _write(tmp_path, {"compose.yaml": "services:\n  s:\n    image: x\n"
                                      "    x-big: 123456789012345678901234567890\n"})
    for _ in range(2):
        project = projectcache.load(_options(tmp_path))
        assert project.services["s"].extensions == {"x-big": 123456789012345678901234567890}
    assert counted.calls == 2


def _plant(opts: ProjectOptions) -> Path:
    """The entry of ``opts`` rewritten as someone else would: another image, and nothing
    to check (so it would be used whatever the files say)."""
    entry = _entry(opts)
    kept = msgspec.msgpack.decode(entry.read_bytes(), type=projectcache.Entry)
    model = msgspec.msgpack.decode(kept.project, type=Project)
    model.services["web"].image = "planted"
    planted = projectcache.Entry({}, {}, {}, "", msgspec.Raw(msgspec.msgpack.encode(model)))
    entry.write_bytes(msgspec.msgpack.encode(planted))
    return entry


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


@pytest.mark.usefixtures("own_cache")
def test_an_entry_in_a_directory_others_may_write_is_not_used(root: Path,
                                                              counted: Counted) -> None:
    opts = _options(root)
    projectcache.load(opts)
    entry = _plant(opts)
    entry.parent.chmod(0o777)
    assert projectcache.load(opts).services["web"].image == "busybox:1.36"
    assert counted.calls == 2
    assert sorted(os.listdir(entry.parent)) == [entry.name]  # nor written there
    entry.parent.chmod(0o700)
    assert projectcache.load(opts).services["web"].image == "planted"  # (the user's own)


@pytest.mark.usefixtures("own_cache")
def test_an_entry_another_user_owns_or_may_write_is_not_used(
        root: Path, counted: Counted, monkeypatch: pytest.MonkeyPatch) -> None:
    opts = _options(root)
    projectcache.load(opts)
    entry = _plant(opts)
    entry.chmod(0o666)
    assert projectcache.load(opts).services["web"].image == "busybox:1.36"
    _plant(opts).chmod(0o600)
    uid = os.geteuid()
    monkeypatch.setattr(os, "geteuid", lambda: uid + 1)  # the directory is not ours either
    assert projectcache.load(opts).services["web"].image == "busybox:1.36"
    assert counted.calls == 3


@pytest.mark.usefixtures("own_cache")
def test_an_entry_is_not_read_through_a_symbolic_link(tmp_path: Path, root: Path,
                                                      counted: Counted) -> None:
    opts = _options(root)
    projectcache.load(opts)
    entry = _plant(opts)
    elsewhere = tmp_path / "elsewhere"
    entry.rename(elsewhere)
    entry.symlink_to(elsewhere)
    assert projectcache.load(opts).services["web"].image == "busybox:1.36"
    assert counted.calls == 2


def _pipe_at(fd: int, text: str) -> None:
    """A pipe holding ``text`` at descriptor ``fd`` (as a shell's ``<(...)`` gives)."""
    r, w = os.pipe()
    os.write(w, text.encode())
    os.close(w)
    os.dup2(r, fd)
    os.close(r)


def test_a_file_read_from_a_pipe_is_not_kept(tmp_path: Path, counted: Counted) -> None:
    fd = os.dup(0)
    try:
        opts = _options(tmp_path, files=(f"/dev/fd/{fd}",))
        for image in ("one", "two"):  # the same -f <(...) path, another text
            _pipe_at(fd, f"services:\n  s:\n    image: {image}\n")
            assert projectcache.load(opts).services["s"].image == image
        assert counted.calls == 2
    finally:
        os.close(fd)


def test_a_variable_with_non_utf8_bytes_is_looked_at_like_any_other(tmp_path: Path,
                                                                     counted: Counted) -> None:
    _write(tmp_path, {"compose.yaml": "include:\n  - sub/compose.yaml\n",
                      "sub/compose.yaml": "services:\n  s:\n    image: busybox\n"})
    odd = os.fsdecode(b"\xff\xfe")  # as os.environ holds such a value
    for _ in range(2):
        assert projectcache.load(_options(tmp_path, {"ODD": odd})).services["s"].image \
            == "busybox"
    assert counted.calls == 1
    projectcache.load(_options(tmp_path, {"ODD": odd + "x"}))  # the include saw them all
    assert counted.calls == 2


def test_a_directory_with_a_non_utf8_name_is_loaded(tmp_path: Path, counted: Counted) -> None:
    root = tmp_path / os.fsdecode(b"d\xff")
    _write(root, {"compose.yaml": "services:\n  s:\n    image: busybox\n"})
    for _ in range(2):
        assert projectcache.load(_options(root)).services["s"].image == "busybox"


def test_a_valid_documents_key_tells_types_and_schemas_apart(tmp_path: Path) -> None:
    schema, other = tmp_path / "a.json", tmp_path / "b.json"
    schema.write_text("{}")
    other.write_text('{"x": 1}')
    same = loadcache.key({"services": {"s": {"cpus": 1}}}, str(schema))
    assert same == loadcache.key({"services": {"s": {"cpus": 1}}}, str(schema))
    assert same != loadcache.key({"services": {"s": {"cpus": "1"}}}, str(schema))
    assert same != loadcache.key({"services": {"s": {"cpus": 1}}}, str(other))
