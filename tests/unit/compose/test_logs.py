"""``compose logs``'s prefixes: Compose v2's names and widths."""

from __future__ import annotations

from typing import Any

import pytest

from pallet.cli.commands.compose.logs import Printer, display_name


def doc(name: str, project: str = "p", service: str = "db", number: str = "1") -> dict[str, Any]:
    return {"Names": [f"/{name}"], "Labels": {
        "com.docker.compose.project": project, "com.docker.compose.service": service,
        "com.docker.compose.container-number": number}}


@pytest.mark.parametrize(("container", "shown"), [
    (doc("p-db-1"), "db-1"),  # the name compose made: the project goes
    (doc("p-db-12", number="12"), "db-12"),
    (doc("my-db"), "my-db"),  # container_name: as it is
    (doc("p-db-1", project=""), "p-db-1"),  # no project label: as it is
    ({"Names": ["/x"]}, "x"),
])
def test_display_name(container: dict[str, Any], shown: str) -> None:
    assert display_name(container) == shown


def test_prefixes_widen_as_names_come(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    printer = Printer(color=False)
    printer.lines("db-1", b"hello")
    printer.lines("longername-1", b"hi\nthere")
    printer.lines("db-1", b"bye")
    printer.status("db-1", "exited with code 0")
    assert capsysbinary.readouterr().out.decode().split("\n") == [
        "db-1  | hello",
        "longername-1  | hi", "longername-1  | there",
        "db-1          | bye",
        "\r\x1b[Kdb-1 exited with code 0", ""]


def test_each_container_gets_the_next_colour(capsysbinary: pytest.CaptureFixture[bytes]
                                             ) -> None:
    printer = Printer(color=True)
    printer.lines("a-1", b"x")
    printer.lines("a-2", b"y")
    out = capsysbinary.readouterr().out.decode()
    assert out == "\x1b[36ma-1  | \x1b[0mx\n\x1b[33ma-2  | \x1b[0my\n"


def test_no_prefix(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    Printer(color=True, prefix=False).lines("a-1", b"x")
    assert capsysbinary.readouterr().out == b"x\n"
