"""pallet.cli.flags: pflag/cobra semantics, docker's error wording, help text."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import invoke
from pallet.cli.flagerrors import Exit, UsageError
from pallet.cli.flaghelp import command_help, group_help
from pallet.cli.flagparse import Flag
from pallet.cli.flags import Command, Group, argument, command, option

Seen = list[dict[str, Any]]


def make(interspersed: bool = True) -> tuple[Command, Seen]:
    seen: Seen = []

    @command("demo", interspersed=interspersed)
    @option("-d", "--detach", is_flag=True, help="Run in the background")
    @option("-i", "--interactive", is_flag=True)
    @option("-t", "--tty", is_flag=True)
    @option("-e", "--env", multiple=True, help="Set environment variables")
    @option("-p", "--publish", multiple=True)
    @option("--name", default=None, help="Assign a name")
    @option("-c", "--cpu-shares", type=int, default=0, help="CPU shares")
    @option("--sig-proxy/--no-sig-proxy", default=True)
    @option("--pull", default="missing", help="Pull image before running")
    @option("-a", "--all", "all_", is_flag=True)
    @option("--secret-thing", default="", hidden=True)
    @argument("image")
    @argument("command", nargs=-1, metavar="[COMMAND] [ARG...]")
    def demo(**kw: Any) -> None:
        """Run a demo.

        Longer text that is not the summary."""
        seen.append(kw)

    return demo, seen


def parse(argv: list[str], interspersed: bool = True) -> dict[str, Any]:
    cmd, _ = make(interspersed)
    return cmd.parse(argv)


def test_defaults_and_dest_names() -> None:
    v = parse(["busybox"])
    assert v == {
        "detach": False, "interactive": False, "tty": False, "env": (), "publish": (),
        "name": None, "cpu_shares": 0, "sig_proxy": True, "pull": "missing", "all_": False,
        "secret_thing": "", "image": "busybox", "command": (),
    }


@pytest.mark.parametrize("argv", [
    ["--name", "web", "img"], ["--name=web", "img"], ["img", "--name", "web"],
])
def test_long_value_forms(argv: list[str]) -> None:
    assert parse(argv)["name"] == "web"


def test_value_may_start_with_dash_or_be_empty() -> None:
    assert parse(["--name", "-x", "img"])["name"] == "-x"
    assert parse(["--name=", "img"])["name"] == ""
    assert parse(["--name=a=b", "img"])["name"] == "a=b"


def test_repeated_flags_collect_in_order() -> None:
    v = parse(["-e", "A=1", "--env", "B=2", "-eC=3", "--env=D=4", "img"])
    assert v["env"] == ("A=1", "B=2", "C=3", "D=4")


def test_combined_shorthands() -> None:
    v = parse(["-itd", "img"])
    assert (v["interactive"], v["tty"], v["detach"]) == (True, True, True)
    v = parse(["-p8080:80", "-p=9090:90", "-p", "1:2", "img"])
    assert v["publish"] == ("8080:80", "9090:90", "1:2")
    v = parse(["-ite", "X=1", "img"])  # a value flag last in a group takes the next word
    assert v["tty"] and v["env"] == ("X=1",)
    v = parse(["-tiePATH=/bin", "img"])  # ... or the rest of the group
    assert v["env"] == ("PATH=/bin",)


def test_bool_values_only_with_equals() -> None:
    assert parse(["--detach=false", "img"])["detach"] is False
    assert parse(["--detach=true", "img"])["detach"] is True
    assert parse(["-d=0", "img"])["detach"] is False
    assert parse(["-d=T", "img"])["detach"] is True
    v = parse(["-d", "false"])  # a separate word is a positional, as with pflag
    assert v["detach"] is True and v["image"] == "false"
    assert parse(["--sig-proxy=false", "img"])["sig_proxy"] is False
    assert parse(["--no-sig-proxy", "img"])["sig_proxy"] is False
    assert parse(["--no-sig-proxy", "--sig-proxy", "img"])["sig_proxy"] is True


def test_ints() -> None:
    assert parse(["-c", "512", "img"])["cpu_shares"] == 512
    assert parse(["--cpu-shares=-1", "img"])["cpu_shares"] == -1


def test_double_dash_and_lone_dash() -> None:
    v = parse(["--", "-img", "--name", "x"])
    assert v["image"] == "-img" and v["command"] == ("--name", "x") and v["name"] is None
    assert parse(["-", "a"])["image"] == "-"


def test_interspersed_or_not() -> None:
    v = parse(["img", "sh", "-c", "--name", "x"], interspersed=False)
    assert v["command"] == ("sh", "-c", "--name", "x") and v["name"] is None
    v = parse(["img", "--", "-x"], interspersed=False)  # `--` after the image stays
    assert v["command"] == ("--", "-x")
    v = parse(["img", "sh", "--name", "x", "-d"])
    assert v["command"] == ("sh",) and v["name"] == "x" and v["detach"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--bogus", "img"], "unknown flag: --bogus"),
    (["--bogus=1", "img"], "unknown flag: --bogus"),
    (["-z", "img"], "unknown shorthand flag: 'z' in -z"),
    (["-izt", "img"], "unknown shorthand flag: 'z' in -zt"),
    (["img", "--name"], "flag needs an argument: --name"),
    (["img", "-e"], "flag needs an argument: 'e' in -e"),
    (["img", "-ie"], "flag needs an argument: 'e' in -e"),
    (["--rm=maybe"], 'unknown flag: --rm'),
    (["-d=maybe", "img"],
     'invalid argument "maybe" for "-d, --detach" flag: '
     'strconv.ParseBool: parsing "maybe": invalid syntax'),
    (["-c", "x", "img"],
     'invalid argument "x" for "-c, --cpu-shares" flag: '
     'strconv.ParseInt: parsing "x": invalid syntax'),
])
def test_flag_errors_have_docker_wording(argv: list[str], message: str) -> None:
    cmd, _ = make()
    with pytest.raises(UsageError) as info:
        cmd.invoke(argv, "pallet demo")
    err = info.value
    assert (err.message, err.code) == (message, 125)
    assert err.render() == (
        f"{message}\n\nUsage:  pallet demo [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
        "Run 'pallet demo --help' for more information"
    )


def _arity(fn_args: list[Any], argv: list[str]) -> UsageError:
    def fn(**kw: Any) -> None:
        """Test."""

    for declare in reversed(fn_args):
        fn = declare(fn)
    cmd = command("x")(fn)
    with pytest.raises(UsageError) as info:
        cmd.invoke(argv, "pallet x")
    return info.value


def test_argument_count_errors_exit_1_with_docker_wording() -> None:
    err = _arity([argument("image"), argument("cmd", nargs=-1)], [])
    assert err.code == 1 and err.render().splitlines() == [
        "pallet: 'pallet x' requires at least 1 argument", "",
        "Usage:  pallet x IMAGE [CMD...]", "", "See 'pallet x --help' for more information"]
    err = _arity([argument("a"), argument("b")], ["one"])
    assert err.message == "'pallet x' requires 2 arguments"
    assert err.render().endswith("Run 'pallet x --help' for more information")
    assert _arity([], ["extra"]).message == "'pallet x' accepts no arguments"
    err = _arity([argument("c"), argument("p", required=False)], ["1", "2", "3"])
    assert err.message == "'pallet x' requires at least 1 and at most 2 arguments"
    err = _arity([argument("names", nargs=-1, required=True)], [])
    assert err.message == "'pallet x' requires at least 1 argument"


def test_optional_arguments_take_their_defaults() -> None:
    @command("x")
    @argument("server", required=False, default="")
    @argument("more", required=False)
    def fn(server: str, more: str | None) -> None:
        """Test."""

    assert fn.parse([]) == {"server": "", "more": None}
    assert fn.parse(["a"]) == {"server": "a", "more": None}


def test_invoke_calls_the_function_and_binds_usage_errors_raised_inside() -> None:
    cmd, seen = make()
    cmd.invoke(["-d", "img", "echo", "hi"], "pallet demo")
    assert seen[0]["detach"] and seen[0]["command"] == ("echo", "hi")

    @command("fails")
    def fails() -> None:
        """Fail."""
        raise UsageError("tag can't be used with --all-tags/-a")

    with pytest.raises(UsageError) as info:
        fails.invoke([], "pallet image fails")
    assert info.value.path == "pallet image fails"
    assert info.value.usage == "pallet image fails"


def test_help_is_docker_shaped(capsys: pytest.CaptureFixture[str]) -> None:
    cmd, seen = make()
    with pytest.raises(Exit) as info:
        cmd.invoke(["img", "--help"], "pallet demo")
    assert info.value.code == 0 and seen == []
    text = capsys.readouterr().out
    assert text == command_help(cmd, "pallet demo")
    lines = text.splitlines()
    assert lines[:3] == ["Usage:  pallet demo [OPTIONS] IMAGE [COMMAND] [ARG...]", "", "Run a demo"]
    assert lines[4] == "Options:"
    options = [line.split()[0:2] for line in lines[5:]]
    assert options[0] == ["-a,", "--all"]  # sorted by long name
    assert ["-e,", "--env"] in options and ["--name", "string"] in options
    assert not any("--secret-thing" in line for line in lines)  # hidden
    assert any(line.endswith('(default "missing")') for line in lines)
    assert any("--env list" in line for line in lines)
    assert any("--cpu-shares int" in line for line in lines)
    with pytest.raises(Exit):  # -h is help where no flag takes the letter
        cmd.invoke(["-h"], "pallet demo")


def test_group_dispatch_help_and_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    table = {"ps": ("pallet.cli.commands.containers", "ps", "List containers")}
    got: list[Any] = []
    group = Group("g", "Manage things", table,
                  flags=[Flag(("-H", "--host"), metavar="URL", help="Daemon socket")],
                  callback=lambda host: got.append(host))
    with pytest.raises(Exit):
        group.invoke(["-H", "unix:///x"], "pallet g")
    assert got == ["unix:///x"]
    text = capsys.readouterr().out
    assert text == group_help(group, "pallet g")
    assert text.startswith("Usage:  pallet g [OPTIONS] COMMAND\n\nManage things\n\nCommands:\n")
    assert "  ps   List containers" in text
    with pytest.raises(UsageError) as info:
        group.invoke(["nope"], "pallet g")
    assert info.value.code == 1
    assert info.value.render() == (
        "pallet: unknown command: pallet g nope\n\nRun 'pallet g --help' for more information")
    assert isinstance(group.resolve("ps"), Command)


def test_root_cli_end_to_end_without_a_daemon() -> None:
    r = invoke(["--version"])
    assert (r.exit_code, r.stdout) == (0, "pallet version 0.1.0\n")
    r = invoke(["-v"])
    assert (r.exit_code, r.stdout) == (0, "pallet version 0.1.0\n")
    r = invoke([])
    assert r.exit_code == 0 and r.stdout.startswith("Usage:  pallet [OPTIONS] COMMAND")
    r = invoke(["container"])
    assert r.exit_code == 0 and re.search(r"\n  ls +List containers\n", r.stdout)
    r = invoke(["run", "--help"])
    assert r.exit_code == 0
    assert r.stdout.startswith("Usage:  pallet run [OPTIONS] IMAGE [COMMAND] [ARG...]\n")
    assert "  -h, --hostname string" in r.stdout  # -h is a flag of run, not help
    r = invoke(["container", "ls", "--help"])
    assert r.stdout.startswith("Usage:  pallet container ls [OPTIONS]\n\nList containers\n")
    r = invoke(["frobnicate"])
    assert r.exit_code == 1 and r.stderr.startswith("pallet: unknown command: pallet frobnicate")
    r = invoke(["--bogus", "ps"])
    assert r.exit_code == 125 and r.stderr.startswith("unknown flag: --bogus\n\nUsage:  pallet [")
    r = invoke(["stop"])
    assert r.exit_code == 1 and r.stderr.startswith(
        "pallet: 'pallet stop' requires at least 1 argument\n\n"
        "Usage:  pallet stop [OPTIONS] CONTAINER [CONTAINER...]\n")


def _modules_after(statement: str) -> set[str]:
    import subprocess
    import sys

    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": ":".join(sys.path)}, check=True).stdout
    return set(out.split())


def test_start_up_imports_stay_light() -> None:
    """The dispatcher loads no typing; the ``run`` path loads no click, no dataclasses
    (nor the inspect/ast it drags in), no decimal or datetime (CLI start-up time)."""
    loaded = _modules_after("import pallet.cli.app")
    assert not loaded & {"click", "typing", "pallet.client.http", "pallet.cli.commands.run"}
    loaded = _modules_after(
        "import pallet.cli.app, pallet.cli.commands.run, pallet.cli.commands.io; "
        "from pallet.cli.commands.run import run; "
        "from pallet.cli.commands.runoptions import flags_from; "
        "from pallet.cli.runconfig import build_create_body; "
        "p = run.parse(['--rm', '-e', 'A=1', 'busybox', 'true']); "
        "p.pop('image'), p.pop('command'); build_create_body(flags_from(p), 'busybox', ['true'])")
    assert not loaded & {"click", "dataclasses", "inspect", "ast", "decimal", "datetime", "csv"}
