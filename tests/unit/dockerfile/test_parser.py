"""Dockerfile parser: tables of text -> instructions, and errors naming file:line."""

from __future__ import annotations

import pytest

from pallet.dockerfile.parser import ParseError, parse, parse_line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FROM busybox\n", [("FROM", 1, "busybox", None)]),
        ("from busybox\nrun echo hi\n",
         [("FROM", 1, "busybox", None), ("RUN", 2, "echo hi", None)]),
        ("FROM a\n\n# c\nCMD [\"sh\", \"-c\"]\n",
         [("FROM", 1, "a", None), ("CMD", 4, '["sh", "-c"]', ("sh", "-c"))]),
        ("FROM a\nRUN echo a \\\n  && echo b\n",
         [("FROM", 1, "a", None), ("RUN", 2, "echo a   && echo b", None)]),
        ("FROM a\nRUN echo a \\\n# comment inside\n\n  b\n",
         [("FROM", 1, "a", None), ("RUN", 2, "echo a   b", None)]),
        ("FROM a\nCMD [not json\n", [("FROM", 1, "a", None), ("CMD", 2, "[not json", None)]),
        ("FROM a\nENV A=1 \\   \n  B=2\n", [("FROM", 1, "a", None), ("ENV", 2, "A=1   B=2", None)]),
        ("FROM a\nRUN echo '\\\\'\n", [("FROM", 1, "a", None), ("RUN", 2, "echo '\\\\'", None)]),
    ],
)
def test_instructions(text: str, expected: list[tuple[str, int, str, object]]) -> None:
    got = [(i.cmd, i.line, i.args, i.json) for i in parse(text).instructions]
    assert got == expected


def test_directives_and_escape() -> None:
    df = parse("# syntax=docker/dockerfile:1\n# escape=`\nFROM a\nRUN echo x `\n  y\n")
    assert df.directives == {"syntax": "docker/dockerfile:1", "escape": "`"}
    assert df.escape == "`"
    assert df.instructions[1].args == "echo x   y"


def test_directive_only_at_top() -> None:
    df = parse("FROM a\n# escape=`\nRUN echo x \\\n y\n")
    assert df.escape == "\\"
    assert df.instructions[1].args == "echo x  y"


def test_flags() -> None:
    inst = parse("FROM a\nCOPY --from=build --chown=1:2 --chmod=755 /src /dst\n").instructions[1]
    assert inst.flags == ("--from=build", "--chown=1:2", "--chmod=755")
    assert inst.args == "/src /dst"
    assert inst.flag_map(("from", "chown", "chmod")) == {
        "from": ["build"], "chown": ["1:2"], "chmod": ["755"]}
    with pytest.raises(ParseError, match="unknown flag: --chmod"):
        inst.flag_map(("from", "chown"), "Dockerfile:")


def test_run_mount_flags_repeat() -> None:
    inst = parse("FROM a\nRUN --mount=type=cache,target=/c --mount=type=secret,id=x make\n"
                 ).instructions[1]
    assert inst.flag_map(("mount",))["mount"] == ["type=cache,target=/c", "type=secret,id=x"]
    assert inst.args == "make"


def test_heredocs() -> None:
    df = parse(
        "FROM a\n"
        "RUN <<EOF\nset -e\necho $HOME\nEOF\n"
        "COPY <<-\"X\" /f\n\tliteral $V\n\tX\n"
        "RUN cat <<A <<B\na\nA\nb\nB\n"
        "CMD x\n"
    )
    run, copy, two, cmd = df.instructions[1:]
    assert run.heredocs[0].content == "set -e\necho $HOME\n" and run.heredocs[0].expand
    assert (run.line, run.end_line) == (2, 5)
    assert copy.heredocs[0].content == "literal $V\n"
    assert not copy.heredocs[0].expand and copy.heredocs[0].strip_tabs
    assert [h.name for h in two.heredocs] == ["A", "B"]
    assert cmd.line == 14


def test_heredoc_in_quotes_is_not_one() -> None:
    inst = parse("FROM a\nRUN echo '<<EOF'\n").instructions[1]
    assert inst.heredocs == ()


def test_onbuild() -> None:
    inst = parse("FROM a\nONBUILD copy . /app\n").instructions[1]
    assert inst.cmd == "ONBUILD" and inst.sub is not None
    assert (inst.sub.cmd, inst.sub.args) == ("COPY", ". /app")
    assert parse_line("RUN echo hi").args == "echo hi"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FROM a\n\nFRM b\n", "Dockerfile:3: unknown instruction: FRM"),
        ("FROM a\nONBUILD FROM b\n", "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger"),
        ("FROM a\nRUN <<EOF\necho\n", "Dockerfile:2: unterminated heredoc EOF"),
        ("# escape=x\nFROM a\n", "invalid escape token"),
    ],
)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError) as err:
        parse(text)
    assert message in err.value.message


def test_error_names_the_file() -> None:
    with pytest.raises(ParseError, match=r"^build\.Dockerfile:1: unknown instruction: BOGUS"):
        parse("BOGUS x\n", "build.Dockerfile")


def test_a_lone_continuation_is_nothing() -> None:
    assert parse("\\").instructions == []
    assert [i.cmd for i in parse("FROM busybox\n\\\n\nRUN true").instructions] == ["FROM", "RUN"]
